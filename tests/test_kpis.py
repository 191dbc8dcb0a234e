"""marts.fct_kpi on a tiny hand-made dataset: every KPI of the company, a team (with a child
team rolled up), a rep, a channel and a campaign, computed by hand; the manual KPIs of teams and
reps as entered.

One `dbt build` of March 2025 on DuckDB (February rows only decide who is a new customer).
Primary attribution model: linear."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from tests.dbt_fixtures import (
    ScratchWarehouse,
    ad_spend_row,
    customer_row,
    duckdb_warehouse,
    lead_row,
    manual_kpi_row,
    order_item_row,
    order_row,
    refund_row,
    survey_row,
    touch_row,
)

MARCH = date(2025, 3, 1)

R2_PROPOSALS = manual_kpi_row("2025-03", "rep", "r2", "innovation_proposals", 2)
MANUAL_KPIS_FIRST_SENT = [
    manual_kpi_row("2025-03", "team", "team_sales", "training_completion", 0.8),
    manual_kpi_row("2025-03", "team", "team_sales", "compliance_rate", 0.95),
    manual_kpi_row("2025-03", "team", "team_sales", "innovation_proposals", 7),
    manual_kpi_row("2025-03", "rep", "r2", "training_completion", 0.5),
    manual_kpi_row("2025-03", "rep", "r2", "compliance_rate", 1),
    R2_PROPOSALS,
    # r1 entered training completion only
    manual_kpi_row("2025-03", "rep", "r1", "training_completion", 0.9),
    manual_kpi_row("2025-03", "rep", "r5", "compliance_rate", 0.7),
    # ignored: entity types without manual KPIs, a rep nobody knows
    manual_kpi_row("2025-03", "company", "company", "training_completion", 0.6),
    manual_kpi_row("2025-03", "channel", "paid_search", "innovation_proposals", 4),
    manual_kpi_row("2025-03", "rep", "r9", "innovation_proposals", 4),
]

RAW_ROWS = {
    # team_east reports to team_sales; team_partners to the company
    "teams": [
        {"team_id": "team_sales", "team_name": "Sales", "stage": "mature"},
        {
            "team_id": "team_east",
            "team_name": "Sales East",
            "parent_team_id": "team_sales",
            "stage": "new_business",
        },
        {"team_id": "team_partners", "team_name": "Partners", "stage": "mature"},
    ],
    "reps": [
        {
            "rep_id": "r1",
            "rep_name": "Ann",
            "team_id": "team_sales",
            "role": "lead",
            "hired_at": date(2023, 1, 1),
        },
        {
            "rep_id": "r2",
            "rep_name": "Bob",
            "team_id": "team_east",
            "role": "ae",
            "hired_at": date(2024, 1, 1),
        },
        {
            "rep_id": "r3",
            "rep_name": "Cid",
            "team_id": "team_partners",
            "role": "ae",
            "hired_at": date(2024, 1, 1),
        },
        # left before March and owns nothing: no row in March
        {
            "rep_id": "r4",
            "rep_name": "Dee",
            "team_id": "team_east",
            "role": "ae",
            "hired_at": date(2023, 1, 1),
            "left_at": date(2025, 1, 31),
        },
        # left before March and owns nothing, but has a manual input in March: a row in March
        {
            "rep_id": "r5",
            "rep_name": "Eve",
            "team_id": "team_partners",
            "role": "ae",
            "hired_at": date(2023, 1, 1),
            "left_at": date(2025, 1, 31),
        },
        # a CRM owner list without role or hire date: counts as employed, owns nothing
        {"rep_id": "r6", "rep_name": "Fay", "team_id": "team_partners", "role": None},
    ],
    "customers": [
        customer_row("c1", owner_rep_id="r1"),
        customer_row("c2", owner_rep_id="r2"),
        customer_row("c3", owner_rep_id="r2"),
        customer_row("c4", owner_rep_id="r3"),
        customer_row("c5", email=None),  # a guest checkout: no email
        customer_row("c6", owner_rep_id="r1"),  # ordered in March 2024 and January 2025 only
        customer_row("c7", owner_rep_id="r2", email="  "),  # ordered in November 2024 only
    ],
    "orders": [
        order_row("o0", "c1", "2025-02-10 10:00", gross=50),  # February: c1 is not new in March
        order_row("o1", "c1", "2025-03-05 10:00", gross=200, discount=20),  # - refund 30 = 150
        order_row("o2", "c2", "2025-03-10 10:00", gross=100),  # 100, c2 new
        order_row("o3", "c3", "2025-03-12 10:00", gross=80, discount=10),  # 70, c3 new
        order_row("o4", "c3", "2025-03-20 10:00", gross=30),  # 30, c3's second order
        order_row("o5", "c4", "2025-03-15 10:00", gross=60),  # 60, c4 new
        order_row("o6", "c5", "2025-03-18 10:00", gross=40),  # 40, c5 new (no owner)
        order_row("o7", "c2", "2025-03-11 10:00", gross=500, status="cancelled"),
        order_row("o8", "c6", "2024-03-10 10:00", gross=100),  # a year before March 2025
        order_row("o9", "c6", "2025-01-15 10:00", gross=50),  # in the churn window, then gone
        order_row("o10", "c7", "2024-11-20 10:00", gross=40),  # before the churn window
    ],
    "order_items": [
        order_item_row("o0", 1, quantity=1, unit_cost=20),  # February
        order_item_row("o1", 1, quantity=2, unit_cost=30),  # 60
        order_item_row("o2", 1, quantity=1, unit_cost=40),  # 40
        order_item_row("o3", 1, quantity=1, unit_cost=20),  # 20 + 15 = 35
        order_item_row("o3", 2, quantity=1, unit_cost=15),
        order_item_row("o4", 1, quantity=1, unit_cost=10),  # 10
        order_item_row("o5", 1, quantity=2, unit_cost=15),  # 30
        order_item_row("o6", 1, quantity=1, unit_cost=20),  # 20
        order_item_row("o7", 1, quantity=5, unit_cost=100),  # cancelled
        order_item_row("o8", 1, quantity=1, unit_cost=60),  # margin 40
        order_item_row("o9", 1, quantity=1, unit_cost=20),  # margin 30
        order_item_row("o10", 1, quantity=1, unit_cost=10),  # margin 30
    ],
    "refunds": [refund_row("f1", "o1", "2025-03-25 10:00", amount=30)],
    "touchpoints": [
        # o1: paid_search/cmp_a 9 days before, email 2 days before (time decay 1/3, 2/3)
        touch_row("t1", "v1", "2025-02-24 10:00", "paid_search", "cmp_a", customer_id="c1"),
        touch_row("t2", "v1", "2025-03-03 10:00", "email", customer_id="c1"),
        # o2; o3 and o4; o6 (o5 has no touch: direct)
        touch_row("t3", "v2", "2025-03-09 10:00", "paid_search", "cmp_a", customer_id="c2"),
        touch_row("t4", "v3", "2025-03-11 09:00", "paid_search", "cmp_b", customer_id="c3"),
        touch_row("t5", "v5", "2025-03-17 10:00", "display", "cmp_d", customer_id="c5"),
        # visits (sessions) after their customers' orders: in no path
        touch_row("t6", "v2", "2025-03-28 10:00", "paid_search", "cmp_a", "c2", touch_type="visit"),
        touch_row("t7", "v2", "2025-03-29 10:00", "paid_search", "cmp_a", "c2", touch_type="visit"),
        touch_row("t8", "v3", "2025-03-25 10:00", "paid_search", "cmp_b", "c3", touch_type="visit"),
    ],
    "ad_spend": [
        ad_spend_row("2025-02-28", "paid_search", "cmp_a", 999, impressions=9),  # February
        ad_spend_row("2025-03-01", "paid_search", "cmp_a", 100, impressions=1000, clicks=40),
        ad_spend_row("2025-03-20", "paid_search", "cmp_a", 100, impressions=1000, clicks=60),
        ad_spend_row("2025-03-05", "paid_search", "cmp_b", 50, impressions=500, clicks=25),
        ad_spend_row("2025-03-10", "display", "cmp_d", 80, impressions=800, clicks=8),
        # no lead, no touch, no conversion: invalid spend
        ad_spend_row("2025-03-15", "paid_social", "cmp_e", 70),
    ],
    "budgets": [
        {
            "month": MARCH,
            "channel": "paid_search",
            "campaign_id": "cmp_a",
            "budget": 160,
            "currency": "USD",
        },
        {"month": MARCH, "channel": "paid_search", "budget": 40, "currency": "USD"},  # channel-wide
        {
            "month": MARCH,
            "channel": "display",
            "campaign_id": "cmp_d",
            "budget": 100,
            "currency": "USD",
        },
    ],
    "leads": [
        # won: 20 days from creation to close
        lead_row(
            "l1",
            "2025-03-02 10:00",
            "paid_search",
            campaign_id="cmp_a",
            rep_id="r2",
            mql_at="2025-03-04 10:00",
            sql_at="2025-03-06 10:00",
            status="won",
            closed_at="2025-03-22 10:00",
            deal_value=5000,
        ),
        lead_row(
            "l2",
            "2025-03-03 10:00",
            "paid_search",
            campaign_id="cmp_a",
            rep_id="r2",
            mql_at="2025-03-05 10:00",
            status="lost",
            closed_at="2025-03-25 10:00",
        ),
        # created in February, won in March: 24 days
        lead_row(
            "l3",
            "2025-02-15 10:00",
            "email",
            rep_id="r1",
            mql_at="2025-03-01 10:00",
            sql_at="2025-03-02 10:00",
            status="won",
            closed_at="2025-03-11 10:00",
            deal_value=3000,
        ),
        lead_row("l4", "2025-03-10 10:00", "paid_search", campaign_id="cmp_b", rep_id="r3"),
        lead_row(
            "l5",
            "2025-03-12 10:00",
            "organic_search",
            mql_at="2025-03-14 10:00",
            status="disqualified",
        ),
        # qualified (and SQL) in January, lost in March
        lead_row(
            "l6",
            "2025-01-05 10:00",
            "paid_search",
            campaign_id="cmp_a",
            rep_id="r2",
            mql_at="2025-01-10 10:00",
            sql_at="2025-01-20 10:00",
            status="lost",
            closed_at="2025-03-08 10:00",
        ),
    ],
    "tickets": [
        {
            "ticket_id": "k1",
            "customer_id": "c2",
            "opened_at": "2025-03-12 10:00",
            "first_response_at": "2025-03-13 09:00",  # 23 h: within 24 h
            "category": "complaint",
        },
        {
            "ticket_id": "k2",
            "customer_id": "c3",
            "opened_at": "2025-03-21 10:00",
            "first_response_at": "2025-03-22 11:00",  # 25 h: late
            "category": "complaint",
        },
        {
            "ticket_id": "k3",
            "customer_id": "c5",
            "opened_at": "2025-03-19 10:00",
            "first_response_at": "2025-03-20 10:00",  # exactly 24 h: within
            "category": "complaint",
        },
        {
            "ticket_id": "k4",
            "customer_id": "c1",
            "opened_at": "2025-03-06 10:00",
            "category": "inquiry",
        },
        {
            "ticket_id": "k5",
            "customer_id": "c1",
            "opened_at": "2025-02-27 10:00",
            "category": "complaint",
        },  # February
    ],
    "surveys": [
        survey_row("s1", "c1", "2025-03-06 10:00", 5, "rating_1_5"),  # r1, satisfied
        survey_row("s2", "c2", "2025-03-11 10:00", 3, "rating_1_5"),  # r2
        survey_row("s3", "c3", "2025-03-13 10:00", 4, "rating_1_5"),  # r2, satisfied
        survey_row("s4", "c4", "2025-03-16 10:00", 10, "nps_0_10"),  # r3, promoter
        survey_row("s5", "c2", "2025-03-12 10:00", 6, "nps_0_10"),  # r2, detractor
        survey_row("s6", "c3", "2025-03-21 10:00", 9, "nps_0_10"),  # r2, promoter
        survey_row("s7", "c5", "2025-03-19 10:00", 8, "nps_0_10"),  # no owner, passive
        survey_row("s8", "c1", "2025-02-20 10:00", 1, "rating_1_5"),  # February
    ],
    # The March file sent twice, corrected: only its newest batch counts (r2's 3, not 2).
    "manual_kpis": [
        *MANUAL_KPIS_FIRST_SENT,
        *(
            {**row, "value": 3 if row is R2_PROPOSALS else row["value"], "_batch_id": "relanded"}
            | {"_loaded_at": datetime(2025, 4, 2)}
            for row in MANUAL_KPIS_FIRST_SENT
        ),
    ],
}

# (value, numerator, denominator) per KPI; count and currency KPIs: (value, value, None); a
# fourth item is the null_reason of a NULL value.

# Company. Revenue 150 + 100 + 70 + 30 + 60 + 40 = 450 over 6 orders; new: c2, c3, c4, c5.
# Spend 200 (cmp_a) + 50 (cmp_b) + 80 (cmp_d) + 70 (cmp_e) = 400; budget 160 + 40 + 100 = 300.
# Leads created in March: l1, l2, l4, l5. MQL in March: l1 (SQL), l2, l3 (SQL), l5.
# Closed in March: l1 won, l2 lost, l3 won, l6 lost; won: 20 + 24 days, 5000 + 3000.
# Complaints opened in March: k1, k2, k3.
# Impressions 1000 + 1000 + 500 + 800 = 3300, clicks 40 + 60 + 25 + 8 = 133.
# Leads created in March: l5 disqualified, 3 valid of 4. Closed in March with an SQL: l1 won,
# l3 won, l6 lost: 2 of 3 won.
# Cost of goods 60 + 40 + 35 + 10 + 30 + 20 = 195: gross margin 450 - 195 = 255; marketing ROI
# (255 - 400) / 400. Revenue of customers first ordering in March (c2 100, c3 70 + 30, c4 60,
# c5 40) 300. Complaints answered within 24 h: k1, k3 of 3. Ratings s1, s2, s3, satisfied s1,
# s3. NPS s4, s5, s6, s7: promoters s4, s6, detractor s5: 100 x (2 - 1) / 4.
COMPANY = {
    "revenue": (450, 450, None),
    "orders": (6, 6, None),
    "aov": (75, 450, 6),
    "spend": (400, 400, None),
    "roas": (450 / 400, 450, 400),
    "cac": (100, 400, 4),
    "new_customers": (4, 4, None),
    "leads": (4, 4, None),
    "mql_to_sql_rate": (0.5, 2, 4),
    "win_rate": (0.5, 2, 4),
    "lead_to_deal_days": (22, 44, 2),
    "won_deal_value": (8000, 8000, None),
    "complaint_rate": (50, 3, 6),
    "budget_deviation": (1 / 3, 100, 300),
    "impressions": (3300, 3300, None),
    "clicks": (133, 133, None),
    "ctr": (133 / 3300, 133, 3300),
    "cpc": (400 / 133, 400, 133),
    "cpm": (400 / 3.3, 400, 3300),  # 1000 x 400 / 3300
    "cost_per_lead": (100, 400, 4),
    "valid_lead_share": (0.75, 3, 4),
    "sql_to_won_rate": (2 / 3, 2, 3),
    "gross_margin_pct": (255 / 450, 255, 450),
    "new_customer_revenue_share": (300 / 450, 300, 450),
    "marketing_roi": (-145 / 400, -145, 400),
    "complaints_answered_24h_share": (2 / 3, 2, 3),
    "satisfaction": (2 / 3, 2, 3),
    "nps": (25, 1, 4),
    # History (churn window 3 months: December to February; LTV horizon 12 months: April 2024 to
    # March 2025). Revenue: February 50 (o0), March 2024 100 (o8).
    "revenue_growth_mom": (8, 400, 50),  # (450 - 50) / 50
    "revenue_growth_yoy": (3.5, 350, 100),  # (450 - 100) / 100
    # ordering in March: c1..c5; with an order that is not their first: c1 (o0 before), c3 (o4)
    "repurchase_rate": (0.4, 2, 5),
    # ordered December to February: c1 (o0), c6 (o9); c6 did not order in March (c7: November)
    "churn_rate": (0.5, 1, 2),
    # gross margin in the horizon: o10 30 + o9 30 + o0 30 + March 255 = 345, customers c1..c7
    "ltv": (345 / 7, 345, 7),
    "ltv_to_cac": (345 / 7 / 100, 345 / 7, 100),  # LTV / CAC 400 / 4
    # new customers credited to paid channels (linear): o2, o3 (paid_search), o6 (display)
    "cac_paid": (400 / 3, 400, 3),
    # new customers' March gross margin: o2 60 + o3 35 + o4 20 + o5 30 + o6 20 = 165; payback =
    # CAC (400 / 4) / monthly margin per new customer (165 / 4)
    "cac_payback_months": (400 / 165, 400, 165),
    "invalid_spend_share": (70 / 400, 70, 400),  # cmp_e
    # visits t6, t7, t8; visitors touching in March v1 (t2; t1 is February's), v2, v3, v5
    "sessions": (3, 3, None),
    "conversion_rate": (1.5, 6, 4),
    "lead_to_deal_days_median": (22, 22, None),  # median of 20 (l1) and 24 (l3)
}

# team_sales = r1 (c1) + child team_east's r2 (c2, c3) and r4 (nothing).
# Revenue 150 + 100 + 70 + 30 = 350 over 4 orders; new: c2, c3.
# Leads created in March: l1, l2 (l3 was created in February). MQL: l1 (SQL), l2, l3 (SQL).
# Closed: l1 won, l2 lost, l6 lost, l3 won. Complaints: k1, k2.
# Manual KPIs: the team's own inputs, not its reps' (r1 0.9, r2 0.5 training completion).
# Leads l1, l2 both valid; closed with an SQL: l1 won, l3 won, l6 lost.
# Cost of goods 60 + 40 + 35 + 10 = 145: margin 205. New customers' revenue c2 100 + c3 100.
# Complaints k1 (within 24 h), k2 (late). Ratings s1, s2, s3 (s1, s3 satisfied); NPS s5
# (detractor), s6 (promoter): 100 x 0 / 2.
TEAM_SALES = {
    "revenue": (350, 350, None),
    "orders": (4, 4, None),
    "aov": (87.5, 350, 4),
    "new_customers": (2, 2, None),
    "leads": (2, 2, None),
    "mql_to_sql_rate": (2 / 3, 2, 3),
    "win_rate": (0.5, 2, 4),
    "lead_to_deal_days": (22, 44, 2),
    "won_deal_value": (8000, 8000, None),
    "complaint_rate": (50, 2, 4),
    "valid_lead_share": (1, 2, 2),
    "sql_to_won_rate": (2 / 3, 2, 3),
    "gross_margin_pct": (205 / 350, 205, 350),
    "new_customer_revenue_share": (200 / 350, 200, 350),
    "complaints_answered_24h_share": (0.5, 1, 2),
    "satisfaction": (2 / 3, 2, 3),
    "nps": (0, 0, 2),
    # r1 (c1, c6) and r2 (c2, c3, c7). February 50 (o0), March 2024 100 (o8).
    "revenue_growth_mom": (6, 300, 50),
    "revenue_growth_yoy": (2.5, 250, 100),
    "repurchase_rate": (2 / 3, 2, 3),  # c1, c3 of c1, c2, c3
    "churn_rate": (0.5, 1, 2),  # c6 of c1, c6
    # r1: o0 30 + o1 90 + o9 30; r2: o2 60 + o3 35 + o4 20 + o10 30; customers c1, c6, c2, c3, c7
    "ltv": (59, 295, 5),
    "lead_to_deal_days_median": (22, 22, None),  # l1 20 (r2), l3 24 (r1)
    "training_completion": (0.8, 0.8, None),
    "compliance_rate": (0.95, 0.95, None),
    "innovation_proposals": (7, 7, None),
}

# r2 owns c2 and c3: 100 + 70 + 30 = 200 over 3 orders, 2 new. Leads l1, l2; MQL l1 (SQL), l2;
# closed l1 won, l2 lost, l6 lost; won l1 in 20 days for 5000. Complaints k1, k2.
# Manual KPIs as entered (innovation proposals: the re-landed 3).
# Leads l1, l2 both valid; closed with an SQL: l1 won, l6 lost.
# Cost of goods 40 + 35 + 10 = 85: margin 115; c2 and c3 both first ordered in March: 200 of 200.
# Complaints k1 (within 24 h), k2 (late). Ratings s2, s3 (s3 satisfied); NPS s5, s6: 0 / 2.
REP_R2 = {
    "revenue": (200, 200, None),
    "orders": (3, 3, None),
    "aov": (200 / 3, 200, 3),
    "new_customers": (2, 2, None),
    "leads": (2, 2, None),
    "mql_to_sql_rate": (0.5, 1, 2),
    "win_rate": (1 / 3, 1, 3),
    "lead_to_deal_days": (20, 20, 1),
    "won_deal_value": (5000, 5000, None),
    "complaint_rate": (200 / 3, 2, 3),
    "valid_lead_share": (1, 2, 2),
    "sql_to_won_rate": (0.5, 1, 2),
    "gross_margin_pct": (115 / 200, 115, 200),
    "new_customer_revenue_share": (1, 200, 200),
    "complaints_answered_24h_share": (0.5, 1, 2),
    "satisfaction": (0.5, 1, 2),
    "nps": (0, 0, 2),
    # no revenue in February nor in March 2024; nobody ordered December to February (c7: November)
    "revenue_growth_mom": (None, 200, 0, "no revenue in previous month"),
    "revenue_growth_yoy": (None, 200, 0, "no revenue in same month last year"),
    "repurchase_rate": (0.5, 1, 2),  # c3 of c2, c3
    "churn_rate": (None, 0, 0, "no customers in churn window"),
    "ltv": (145 / 3, 145, 3),  # o2 60 + o3 35 + o4 20 + o10 30 over c2, c3, c7
    "lead_to_deal_days_median": (20, 20, None),  # l1
    "training_completion": (0.5, 0.5, None),
    "compliance_rate": (1, 1, None),
    "innovation_proposals": (3, 3, None),
}

# paid_search, linear credit: o1 half (75 of 150; o1's other touch is email), o2 100, o3 70,
# o4 30 (o3's touch t4 is 9 days before o4 too): revenue 275, orders 0.5 + 3 = 3.5.
# New customers credited: o2 and o3 (o1 and o4 are not first orders).
# Spend 200 + 50 (the February row is not March's); budget 160 (cmp_a) + 40 (channel-wide).
# Per model, credited revenue of o1 to t1 (paid_search) + 200 for o2..o4 (one-touch paths):
# first_touch 150, last_touch 0, last_non_direct 0 (email is not direct), linear 75,
# time_decay 150 x 1/3 = 50, position_based 75, w_shaped 75 (orders fall back to position_based).
# Data-driven, March order paths: 'paid_search > email' (o1), 'paid_search' x 3, 'direct' (o5),
# 'display' (o6), all converting. Markov: start -> paid_search 4/6, direct 1/6, display 1/6;
# paid_search -> email 1/4, conversion 3/4; P = 1. Removal effects: paid_search 1 - 2/6 = 2/3,
# email (4/6 x 1/4 lost) 1/6, direct 1/6, display 1/6; weights 4/7, 1/7, 1/7, 1/7. Credit is
# allocated so that the channels' sums meet the model's results where they can
# (tests/test_attribution_allocation.py works both cases): o1 gives paid_search 1/5 of 150 = 30.
# Shapley: r({paid_search, email}) = 1, r({paid_search}) = 1: phi paid_search 1 + 1/2, email
# 1/2, direct 1, display 1; paid_search's own 3 orders exceed its result (6 x 3/8), so its share
# of o1 tends to 0 (below 1e-3 at the fit's end): 200 + 150 x ~0.
# Leads by origin: created l1, l2, l4; MQL l1 (SQL), l2; closed l1 won, l2 lost, l6 lost.
# Funnel: CTR 125 / 2500, CPC 250 / 125, CPM 1000 x 250 / 2500, cost per lead 250 / 3 (all
# three valid); closed with an SQL: l1 won, l6 lost.
CHANNEL_PAID_SEARCH = {
    "revenue": (275, 275, None),
    "orders": (3.5, 3.5, None),
    "aov": (275 / 3.5, 275, 3.5),
    "spend": (250, 250, None),
    "impressions": (2500, 2500, None),
    "clicks": (125, 125, None),
    "roas": (1.1, 275, 250),
    "roas_first_touch": (1.4, 350, 250),
    "roas_last_touch": (0.8, 200, 250),
    "roas_last_non_direct": (0.8, 200, 250),
    "roas_linear": (1.1, 275, 250),
    "roas_time_decay": (1.0, 250, 250),
    "roas_position_based": (1.1, 275, 250),
    "roas_w_shaped": (1.1, 275, 250),
    "roas_markov": (230 / 250, 230, 250),
    "roas_shapley": (200 / 250, 200, 250),
    "cac": (125, 250, 2),
    "new_customers": (2, 2, None),
    "leads": (3, 3, None),
    "mql_to_sql_rate": (0.5, 1, 2),
    "win_rate": (1 / 3, 1, 3),
    "budget_deviation": (0.25, 50, 200),
    "ctr": (0.05, 125, 2500),
    "cpc": (2, 250, 125),
    "cpm": (100, 250, 2500),
    "cost_per_lead": (250 / 3, 250, 3),
    "valid_lead_share": (1, 3, 3),
    "sql_to_won_rate": (0.5, 1, 2),
    "invalid_spend_share": (0, 0, 250),
    # credited cost of goods (linear): o1 60 / 2 + o2 40 + o3 35 + o4 10 = 115: margin 275 - 115
    "gross_margin_pct": (160 / 275, 160, 275),
    "marketing_roi": (-90 / 250, -90, 250),  # (160 - 250) / 250
    # visits t6, t7 (cmp_a), t8 (cmp_b); March visitors v2, v3: 3.5 credited orders / 2
    "sessions": (3, 3, None),
    "conversion_rate": (1.75, 3.5, 2),
}

# cmp_a: o1's t1 (linear 75 of 150) and o2's t3 (100): revenue 175, orders 1.5, new: o2.
# Per model, o1's credit to t1 + 100: first 150, last 0, last_non_direct 0, linear 75,
# time_decay 50, position_based 75, w_shaped 75, markov 30, shapley ~0. Spend 100 + 100,
# budget 160.
# Leads: created l1, l2; MQL l1 (SQL), l2; closed l1 won, l2 lost, l6 lost.
# Funnel: CTR 100 / 2000, CPC 200 / 100, CPM 1000 x 200 / 2000, cost per lead 200 / 2; closed
# with an SQL: l1 won, l6 lost.
CAMPAIGN_CMP_A = {
    "revenue": (175, 175, None),
    "orders": (1.5, 1.5, None),
    "aov": (175 / 1.5, 175, 1.5),
    "spend": (200, 200, None),
    "impressions": (2000, 2000, None),
    "clicks": (100, 100, None),
    "roas": (0.875, 175, 200),
    "roas_first_touch": (1.25, 250, 200),
    "roas_last_touch": (0.5, 100, 200),
    "roas_last_non_direct": (0.5, 100, 200),
    "roas_linear": (0.875, 175, 200),
    "roas_time_decay": (0.75, 150, 200),
    "roas_position_based": (0.875, 175, 200),
    "roas_w_shaped": (0.875, 175, 200),
    "roas_markov": (130 / 200, 130, 200),
    "roas_shapley": (100 / 200, 100, 200),
    "cac": (200, 200, 1),
    "new_customers": (1, 1, None),
    "leads": (2, 2, None),
    "mql_to_sql_rate": (0.5, 1, 2),
    "win_rate": (1 / 3, 1, 3),
    "budget_deviation": (0.25, 40, 160),
    "ctr": (0.05, 100, 2000),
    "cpc": (2, 200, 100),
    "cpm": (100, 200, 2000),
    "cost_per_lead": (100, 200, 2),
    "valid_lead_share": (1, 2, 2),
    "sql_to_won_rate": (0.5, 1, 2),
    "invalid_spend_share": (0, 0, 200),
    # credited cost of goods: o1 60 / 2 + o2 40 = 70: margin 175 - 70 = 105
    "gross_margin_pct": (0.6, 105, 175),
    "marketing_roi": (-0.475, -95, 200),  # (105 - 200) / 200
    # visits t6, t7 by v2 alone: 1.5 credited orders / 1 visitor
    "sessions": (2, 2, None),
    "conversion_rate": (1.5, 1.5, 1),
}

UNITS = {
    "revenue": "currency", "orders": "count", "aov": "currency", "spend": "currency",
    "impressions": "count", "clicks": "count", "roas": "ratio", "cac": "currency",
    "new_customers": "count", "leads": "count", "mql_to_sql_rate": "ratio", "win_rate": "ratio",
    "lead_to_deal_days": "days", "won_deal_value": "currency", "complaint_rate": "per_100_orders",
    "budget_deviation": "ratio", "training_completion": "ratio", "compliance_rate": "ratio",
    "innovation_proposals": "count", "cpc": "currency", "cpm": "currency",
    "cost_per_lead": "currency", "nps": "points", "ltv": "currency", "cac_paid": "currency",
    "cac_payback_months": "months", "sessions": "count", "lead_to_deal_days_median": "days",
}  # fmt: skip
MANUAL_KPIS = ("training_completion", "compliance_rate", "innovation_proposals")
NO_INPUT = "no manual input for period"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Iterator[ScratchWarehouse]:
    scratch = duckdb_warehouse(tmp_path_factory.mktemp("kpis"))
    scratch.insert(RAW_ROWS)
    scratch.build(MARCH, MARCH)
    return scratch


def kpis_of(warehouse: ScratchWarehouse, entity_type: str, entity_id: str) -> dict[str, tuple]:
    """{kpi: (value, numerator, denominator, unit, null_reason)} of one entity in March."""
    frame = warehouse.query(
        "select kpi, value, numerator, denominator, unit, null_reason from marts.fct_kpi "
        "where period = ? and entity_type = ? and entity_id = ?",
        [MARCH, entity_type, entity_id],
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return {row[0]: tuple(row[1:]) for row in frame.itertuples(index=False)}


# Shapley's credit of o1 approaches its limit (paid_search 0) within 1e-3 of a conversion.
LIMIT_TOLERANCE = {"roas_shapley": 1e-3}


@pytest.mark.parametrize(
    ("entity_type", "entity_id", "expected"),
    [
        ("company", "company", COMPANY),
        ("team", "team_sales", TEAM_SALES),
        ("rep", "r2", REP_R2),
        ("channel", "paid_search", CHANNEL_PAID_SEARCH),
        ("campaign", "cmp_a", CAMPAIGN_CMP_A),
    ],
)
def test_every_kpi_of_the_entity_is_computed_by_definition(
    warehouse, entity_type, entity_id, expected
):
    actual = kpis_of(warehouse, entity_type, entity_id)
    assert set(actual) == set(expected)
    for kpi, (value, numerator, denominator, *reason) in expected.items():
        got_value, got_numerator, got_denominator, unit, null_reason = actual[kpi]
        close = LIMIT_TOLERANCE.get(kpi)
        assert got_value == (None if value is None else approx(value, close)), kpi
        assert got_numerator == approx(numerator, close and close * 250), kpi
        assert got_denominator == (None if denominator is None else pytest.approx(denominator))
        assert unit == UNITS.get(kpi, "ratio"), kpi
        assert null_reason == (reason[0] if reason else None), kpi


def approx(expected: float, absolute: float | None) -> object:
    """pytest.approx, within `absolute` instead when given."""
    return pytest.approx(expected) if absolute is None else pytest.approx(expected, abs=absolute)


def test_division_by_zero_gives_null_with_a_reason(warehouse):
    email = kpis_of(warehouse, "channel", "email")
    # email: no spend, and its only credit (half of o1) is not a new customer
    assert email["roas"] == (None, 75, 0, "ratio", "no spend in period")
    assert email["cac"] == (None, 0, 0, "currency", "no new customers in period")
    assert email["budget_deviation"] == (None, 0, 0, "ratio", "no budget for period")
    # email: no impressions, no clicks, no lead created in March (l3 was created in February)
    assert email["ctr"] == (None, 0, 0, "ratio", "no impressions in period")
    assert email["cpc"] == (None, 0, 0, "currency", "no clicks in period")
    assert email["cpm"] == (None, 0, 0, "currency", "no impressions in period")
    assert email["cost_per_lead"] == (None, 0, 0, "currency", "no leads in period")
    assert email["valid_lead_share"] == (None, 0, 0, "ratio", "no leads in period")
    assert email["invalid_spend_share"] == (None, 0, 0, "ratio", "no spend in period")
    # half of o1: revenue 75, cost 30
    assert email["marketing_roi"] == (None, 45, 0, "ratio", "no spend in period")
    # team_partners (r3): its only lead l4 never reached MQL
    partners = kpis_of(warehouse, "team", "team_partners")
    assert partners["mql_to_sql_rate"] == (None, 0, 0, "ratio", "no MQLs in period")
    assert partners["sql_to_won_rate"] == (None, 0, 0, "ratio", "no SQLs closed in period")
    # team_partners (r3): c4's survey s4 is an NPS one (100 x 1 / 1), no rating, no complaint
    assert partners["satisfaction"] == (None, 0, 0, "ratio", "no ratings in period")
    assert partners["nps"] == (100, 1, 1, "points", None)
    no_complaints = (None, 0, 0, "ratio", "no complaints in period")
    assert partners["complaints_answered_24h_share"] == no_complaints
    no_deals = (None, None, None, "days", "no deals won in period")
    assert partners["lead_to_deal_days_median"] == no_deals
    # video: nobody touched it
    assert kpis_of(warehouse, "channel", "video")["conversion_rate"] == (
        None,
        0,
        0,
        "ratio",
        "no visitors in period",
    )
    # r1 owns c1, who first ordered in February: none of its revenue is new customers'
    r1 = kpis_of(warehouse, "rep", "r1")
    assert r1["new_customer_revenue_share"] == (0, 0, 150, "ratio", None)
    # r5 owns nothing: no revenue
    r5 = kpis_of(warehouse, "rep", "r5")
    assert r5["gross_margin_pct"] == (None, 0, 0, "ratio", "no revenue in period")


def test_entities_are_the_active_ones(warehouse):
    frame = warehouse.query(
        "select distinct entity_type, entity_id from marts.fct_kpi where period = ?", [MARCH]
    )
    entities = set(frame.itertuples(index=False, name=None))
    assert {e for e in entities if e[0] in ("company", "team", "rep")} == {
        ("company", "company"),
        ("team", "team_sales"),
        ("team", "team_east"),
        ("team", "team_partners"),
        ("rep", "r1"),
        ("rep", "r2"),
        ("rep", "r3"),  # r4 left in January
        ("rep", "r5"),  # left in January, but has a manual input in March (r9 is unknown)
        ("rep", "r6"),  # no hire date: employed
    }
    channels = {entity_id for entity_type, entity_id in entities if entity_type == "channel"}
    assert len(channels) == 10, "every configured channel"
    campaigns = {entity_id for entity_type, entity_id in entities if entity_type == "campaign"}
    assert campaigns == {"cmp_a", "cmp_b", "cmp_d", "cmp_e"}


def test_a_missing_email_hashes_to_null_not_to_the_hash_of_nothing(warehouse):
    frame = warehouse.query("select customer_id, email_hash from marts.dim_customer")
    hashes = dict(zip(frame["customer_id"], frame["email_hash"], strict=True))
    assert hashes["c5"] is None and hashes["c7"] is None
    assert hashes["c1"] == hashlib.sha256(b"c1@example.com").hexdigest()


def test_child_team_rolls_up_into_its_parent(warehouse):
    # team_east is r2 (and r4, who owns nothing): exactly r2's figures, but for the manual KPIs
    team_east = kpis_of(warehouse, "team", "team_east")
    rep_r2 = kpis_of(warehouse, "rep", "r2")
    assert {k: v for k, v in team_east.items() if k not in MANUAL_KPIS} == {
        k: v for k, v in rep_r2.items() if k not in MANUAL_KPIS
    }


def test_manual_kpis_are_as_entered_and_null_with_a_reason_when_missing(warehouse):
    # team_east entered nothing: its reps' inputs are not rolled up into it
    team_east = kpis_of(warehouse, "team", "team_east")
    for kpi in MANUAL_KPIS:
        assert team_east[kpi] == (None, None, None, UNITS[kpi], NO_INPUT), kpi
    r1 = kpis_of(warehouse, "rep", "r1")
    entered = pytest.approx(0.9)
    assert r1["training_completion"] == (entered, entered, None, "ratio", None)
    assert r1["compliance_rate"] == (None, None, None, "ratio", NO_INPUT)
    assert r1["innovation_proposals"] == (None, None, None, "count", NO_INPUT)
    r5 = kpis_of(warehouse, "rep", "r5")
    assert r5["compliance_rate"] == (pytest.approx(0.7), pytest.approx(0.7), None, "ratio", None)
    assert r5["revenue"] == (0, 0, None, "currency", None)


def test_invalid_spend_is_the_spend_of_campaigns_without_lead_or_conversion(warehouse):
    # cmp_e (paid_social): 70 spent, no lead, no touch, no credited conversion
    assert kpis_of(warehouse, "campaign", "cmp_e")["invalid_spend_share"] == (
        1,
        70,
        70,
        "ratio",
        None,
    )
    assert kpis_of(warehouse, "channel", "paid_social")["invalid_spend_share"] == (
        1,
        70,
        70,
        "ratio",
        None,
    )
    # cmp_b (paid_search): lead l4 and o3's credit; cmp_d (display): o6's credit
    for campaign in ("cmp_b", "cmp_d"):
        assert kpis_of(warehouse, "campaign", campaign)["invalid_spend_share"][:2] == (0, 0)


def test_customer_history_is_read_from_a_bounded_window(warehouse):
    # March 2025 alone: the customer measures read orders from March 2024 on (the longest
    # lookback: 12 months for year-on-year growth; churn window 3, LTV horizon 12 - 1), not all
    # history, up to the end of the range.
    compiled = next(
        (warehouse.folder / "dbt_target" / "compiled").rglob("int_customer_measures_aggregated.sql")
    ).read_text()
    assert "ordered_at >= cast('2024-03-01' as date)" in compiled
    assert "ordered_at < cast('2025-04-01' as date)" in compiled
