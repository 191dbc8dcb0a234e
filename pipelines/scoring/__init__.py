"""Scoring: the scorecard configuration (scorecard.py, with the KPI catalogue it is checked
against) and the pure engine that scores a period (engine.py, curves.py, comparisons.py)."""
