"""The open month's forecast: each company KPI's projected end-of-month value from its
month-to-date data and the same days of past months, with an interval and the probability of
reaching its target (daily.py reads the measures by day, projection.py projects, backtest.py
replays past months to measure the interval's coverage)."""
