"""Attribution marts on a tiny hand-made dataset, every expected credit computed by hand.

One `dbt build` over January..February 2025 per warehouse (DuckDB; PostgreSQL when reachable),
with the data-driven weights learned in between as the pipeline does. Config
(config/pipeline.yaml): lookback 30 days (won deals 60), half-life 7 days, position-based
0.4/0.2/0.4, W-shaped 0.3/0.3/0.3 + 0.1, Markov order 1, no-touch channel `direct`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pandas as pd
import pytest

from tests.dbt_fixtures import (
    ScratchWarehouse,
    ad_spend_row,
    customer_row,
    lead_row,
    order_row,
    refund_row,
    scratch_warehouse,
    timestamp,
    touch_row,
)

JANUARY = date(2025, 1, 1)
FEBRUARY = date(2025, 2, 1)
MODELS = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "time_decay",
    "position_based",
    "w_shaped",
    "markov",
    "shapley",
)

RELANDED_AT = timestamp("2025-01-28 00:00")

RAW_ROWS = {
    "customers": [customer_row(c) for c in ("c1", "c2", "c3", "c4", "c5")],
    "orders": [
        # o1: net 120 - 20 discount - 10 refund = 90
        order_row("o1", "c1", "2025-01-20 12:00", gross=120, discount=20),
        # o2 first sent at 40; the January file sent again, corrected: its newest batch counts
        # (o2 net 50 - 5 = 45)
        order_row("o2", "c2", "2025-01-25 09:00", gross=40),
        *(
            order_row(*fields, **amounts, _batch_id="relanded", _loaded_at=RELANDED_AT)
            for fields, amounts in (
                (("o1", "c1", "2025-01-20 12:00"), {"gross": 120, "discount": 20}),
                (("o2", "c2", "2025-01-25 09:00"), {"gross": 50, "discount": 5}),
                (("o5", "c1", "2025-01-21 12:00"), {"gross": 999, "status": "cancelled"}),
            )
        ),
        order_row("o3", "c3", "2025-02-10 12:00", gross=60, _period=FEBRUARY),
        order_row("o4", "c4", "2025-02-15 12:00", gross=30, _period=FEBRUARY),
        order_row("o5", "c1", "2025-01-21 12:00", gross=999, status="cancelled"),
        order_row("o6", "c5", "2025-02-20 12:00", gross=20, _period=FEBRUARY),
    ],
    "refunds": [refund_row("r1", "o1", "2025-02-03 10:00", amount=10)],
    "touchpoints": [
        # o1 (c1, 2025-01-20 12:00): touches of visitor v1 (mapped to c1 by t2) and of c1 itself
        touch_row("t_old", "v1", "2024-12-20 12:00", "paid_search", "cmp_search"),  # 31 days: out
        touch_row("t1", "v1", "2025-01-05 12:00", "paid_search", "cmp_search"),  # age 15 days
        touch_row("t2", "v1", "2025-01-12 12:00", "email", "cmp_news", customer_id="c1"),  # 8 days
        touch_row("t3", "v9", "2025-01-19 12:00", "direct", customer_id="c1"),  # 1 day
        touch_row("t_at", "v9", "2025-01-20 12:00", "paid_social", customer_id="c1"),  # at: out
        touch_row("t_after", "v9", "2025-01-22 12:00", "video", customer_id="c1"),  # after: out
        # o2 (c2): one touch
        touch_row("t4", "v2", "2025-01-24 09:00", "paid_social", "cmp_social", customer_id="c2"),
        # o3 (c3, 2025-02-10 12:00): two touches, ages 9 and 2 days
        touch_row("t5", "v3", "2025-02-01 12:00", "display", "cmp_display", customer_id="c3"),
        touch_row("t6", "v3", "2025-02-08 12:00", "paid_search", "cmp_search", customer_id="c3"),
        # o6 (c5): only direct touches
        touch_row("t8", "v5", "2025-02-18 12:00", "direct", customer_id="c5"),
        touch_row("t9", "v5", "2025-02-19 12:00", "direct", customer_id="c5"),
        # lead l1 (visitor v6, no customer)
        touch_row("t7", "v6", "2025-01-27 10:00", "organic_search"),
        # lead l2 (visitor v8, no customer): created 02-05 (after t11), MQL 02-06, won 02-25
        touch_row("t10", "v8", "2025-02-01 10:00", "paid_search", "cmp_search"),
        touch_row("t11", "v8", "2025-02-04 10:00", "email", "cmp_news"),
        touch_row("t12", "v8", "2025-02-10 10:00", "organic_search"),
        touch_row("t13", "v8", "2025-02-20 10:00", "direct"),
    ],
    "leads": [
        # landed open in January, then won in February: the February row wins
        lead_row(
            "l1", "2025-01-26 10:00", "organic_search", visitor_id="v6", mql_at="2025-01-28 10:00"
        ),
        lead_row(
            "l1",
            "2025-01-26 10:00",
            "organic_search",
            visitor_id="v6",
            mql_at="2025-01-28 10:00",
            status="won",
            closed_at="2025-02-20 10:00",
            deal_value=1000,
            _period=FEBRUARY,
        ),
        lead_row(
            "l2",
            "2025-02-05 10:00",
            "paid_search",
            visitor_id="v8",
            mql_at="2025-02-06 10:00",
            status="won",
            closed_at="2025-02-25 10:00",
            deal_value=500,
            _period=FEBRUARY,
        ),
    ],
    "ad_spend": [
        ad_spend_row("2025-01-10", "paid_search", "cmp_search", 100, impressions=1000, clicks=50),
        ad_spend_row("2025-01-31", "paid_search", "cmp_search", 20, impressions=200, clicks=10),
        ad_spend_row("2025-02-01", "video", "cmp_video", 40, impressions=400, clicks=4),
    ],
}


@pytest.fixture(
    scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def warehouse(request, tmp_path_factory) -> Iterator[ScratchWarehouse]:
    folder = tmp_path_factory.mktemp(f"attribution_{request.param}")
    with scratch_warehouse(request.param, folder, request) as scratch:
        scratch.insert(RAW_ROWS)
        scratch.build(JANUARY, FEBRUARY)
        yield scratch


def credits(warehouse: ScratchWarehouse, conversion_id: str) -> dict[tuple[str, str | None], float]:
    """{(model, touchpoint_id): credit} of one conversion."""
    frame = warehouse.query(
        "select model, touchpoint_id, credit from marts.fct_attribution where conversion_id = ?",
        [conversion_id],
    )
    return {
        (row.model, row.touchpoint_id): float(row.credit)
        for row in frame.astype(object).where(frame.notna(), None).itertuples()
    }


def assert_credits(actual: dict, expected: dict) -> None:
    assert set(actual) == set(expected)
    for key, credit in expected.items():
        assert actual[key] == pytest.approx(credit, abs=1e-12), key


def test_three_touch_path_under_every_model(warehouse):
    # o1's path: t1 paid_search (15 days before), t2 email (8), t3 direct (1).
    # time decay: weights 2^(-15/7) : 2^(-8/7) : 2^(-1/7) = 1 : 2 : 4 -> 1/7, 2/7, 4/7
    # position based, 3 touches: 0.4 first, 0.4 last, 0.2 / (3 - 2) = 0.2 middle
    assert_credits(
        credits(warehouse, "order:o1"),
        {
            ("first_touch", "t1"): 1,
            ("last_touch", "t3"): 1,
            ("last_non_direct", "t2"): 1,  # t3 is direct: the last non-direct touch is t2
            ("linear", "t1"): 1 / 3,
            ("linear", "t2"): 1 / 3,
            ("linear", "t3"): 1 / 3,
            ("time_decay", "t1"): 1 / 7,
            ("time_decay", "t2"): 2 / 7,
            ("time_decay", "t3"): 4 / 7,
            ("position_based", "t1"): 0.4,
            ("position_based", "t2"): 0.2,
            ("position_based", "t3"): 0.4,
            # an order has no lead-creation touch: W-shaped falls back to position-based
            ("w_shaped", "t1"): 0.4,
            ("w_shaped", "t2"): 0.2,
            ("w_shaped", "t3"): 0.4,
            # January orders: converting paths 'paid_search > email > direct' (o1) and
            # 'paid_social' (o2), v6's 'organic_search' without order. P(conversion) = 2/3;
            # without any one of o1's channels 1/3: removal effect 1/2 each, so the three share
            # o1's credit equally; Shapley: phi = r(T) / |T| = 1/3 each, equal again
            ("markov", "t1"): 1 / 3,
            ("markov", "t2"): 1 / 3,
            ("markov", "t3"): 1 / 3,
            ("shapley", "t1"): 1 / 3,
            ("shapley", "t2"): 1 / 3,
            ("shapley", "t3"): 1 / 3,
        },
    )


def test_w_shaped_credits_first_lead_creation_and_last_touch(warehouse):
    # won_deal:l2 (closed 02-25; lookback 60 days): t10 paid_search, t11 email, t12 organic,
    # t13 direct. The lead was created 02-05: its lead-creation touch is t11 (last before).
    # 0.3 first + 0.3 lead creation + 0.3 last; the 0.1 left goes to t12, the only other touch.
    won = credits(warehouse, "won_deal:l2")
    assert {k: v for k, v in won.items() if k[0] == "w_shaped"} == pytest.approx(
        {("w_shaped", "t10"): 0.3, ("w_shaped", "t11"): 0.3, ("w_shaped", "t12"): 0.1,
         ("w_shaped", "t13"): 0.3}
    )  # fmt: skip
    # lead:l2 (MQL 02-06, two touches t10, t11): 50/50 like position-based
    lead = credits(warehouse, "lead:l2")
    assert lead[("w_shaped", "t10")] == pytest.approx(0.5)
    assert lead[("w_shaped", "t11")] == pytest.approx(0.5)


def test_markov_weights_and_credit_on_a_hand_computed_chain(warehouse):
    # February orders. Converting paths: 'display > paid_search' (o3), 'direct' (o4 without
    # touch, o6 'direct > direct' collapsed). Not converting: visitor v8's February journey
    # 'paid_search > email > organic_search > direct' (no order).
    # Transitions: start -> display 1/4, direct 1/2, paid_search 1/4; display -> paid_search 1;
    # paid_search -> conversion 1/2, email 1/2; email -> organic 1; organic -> direct 1;
    # direct -> conversion 2/3, null 1/3.
    # P(conversion): direct 2/3, organic 2/3, email 2/3, paid_search 1/2 + 1/2 x 2/3 = 5/6,
    # display 5/6; start 1/4 x 5/6 + 1/2 x 2/3 + 1/4 x 5/6 = 3/4.
    # Without display: 1/2 x 2/3 + 1/4 x 5/6 = 13/24 -> removal effect 1 - (13/24) / (3/4) = 5/18
    # Without paid_search: 1/2 x 2/3 = 1/3 -> 1 - (1/3) / (3/4) = 5/9 = 10/18
    # Without email (or organic): paid_search 1/2, display 1/2 -> 1/8 + 1/3 + 1/8 = 7/12
    #   -> 1 - (7/12) / (3/4) = 2/9 = 4/18 each
    # Without direct: paid_search 1/2, display 1/2 -> 1/8 + 1/8 = 1/4 -> 1 - 1/3 = 12/18
    # Sum 35/18: weights display 5/35, paid_search 10/35, email 4/35, organic 4/35, direct 12/35
    rows = warehouse.query(
        "select channel, measure, model_value, weight, credited_conversions "
        "from marts.fct_attribution_model_weights "
        "where period = ? and conversion_type = 'order' and model = 'markov'",
        [FEBRUARY],
    ).set_index("channel")
    expected_effects = {"display": 5 / 18, "paid_search": 10 / 18, "email": 4 / 18,
                        "organic_search": 4 / 18, "direct": 12 / 18}  # fmt: skip
    assert set(rows["measure"]) == {"removal_effect"}
    for channel, effect in expected_effects.items():
        assert rows.loc[channel, "model_value"] == pytest.approx(effect), channel
        assert rows.loc[channel, "weight"] == pytest.approx(effect / (35 / 18)), channel
        # three February orders
        assert rows.loc[channel, "credited_conversions"] == pytest.approx(3 * effect / (35 / 18))
    # o3 ('display > paid_search'): display 5/35 and paid_search 10/35 -> 1/3 and 2/3
    o3 = credits(warehouse, "order:o3")
    assert o3[("markov", "t5")] == pytest.approx(1 / 3)
    assert o3[("markov", "t6")] == pytest.approx(2 / 3)


def test_path_aggregate_counts_converting_and_lost_journeys_per_type(warehouse):
    # February. Converting: orders o3 'display > paid_search', o4 without touch 'direct', o6
    # 'direct > direct'; lead l2 (MQL 02-06) 'paid_search > email'; won deals l1 'organic_search'
    # (60-day lookback) and l2 (02-25) with all four of v8's touches. Journeys of the month: c3
    # 'display > paid_search', c5 'direct > direct', visitor v8 'paid_search > email >
    # organic_search > direct'; each is lost for the types its identity did not convert in.
    rows = warehouse.query(
        "select conversion_type, path, conversions, non_conversions "
        "from intermediate.int_attribution_paths_aggregated where period = ?",
        [FEBRUARY],
    )
    actual = {
        (row.conversion_type, row.path): (int(row.conversions), int(row.non_conversions))
        for row in rows.itertuples()
    }
    v8 = "paid_search > email > organic_search > direct"
    assert actual == {
        ("order", "display > paid_search"): (1, 0),
        ("order", "direct"): (1, 0),
        ("order", "direct > direct"): (1, 0),
        ("order", v8): (0, 1),
        ("lead", "paid_search > email"): (1, 0),
        ("lead", "display > paid_search"): (0, 1),
        ("lead", "direct > direct"): (0, 1),
        ("won_deal", "organic_search"): (1, 0),
        ("won_deal", v8): (1, 0),
        ("won_deal", "display > paid_search"): (0, 1),
        ("won_deal", "direct > direct"): (0, 1),
    }


def test_shapley_values_on_a_hand_computed_game(warehouse):
    # February orders' channel sets and conversion rates: {display, paid_search} 1/1,
    # {direct} 2/2, {paid_search, email, organic_search, direct} 0/1. A coalition is worth the
    # rates of the observed sets it contains, so phi_c = sum over sets T holding c of r(T) / |T|:
    # display 1/2, paid_search 1/2 + 0/4, direct 1 + 0/4, email 0, organic_search 0.
    rows = warehouse.query(
        "select channel, model_value, weight from marts.fct_attribution_model_weights "
        "where period = ? and conversion_type = 'order' and model = 'shapley'",
        [FEBRUARY],
    ).set_index("channel")
    expected = {"display": 0.5, "paid_search": 0.5, "direct": 1.0, "email": 0.0,
                "organic_search": 0.0}  # fmt: skip
    for channel, value in expected.items():
        assert rows.loc[channel, "model_value"] == pytest.approx(value, abs=1e-12), channel
        assert rows.loc[channel, "weight"] == pytest.approx(value / 2, abs=1e-12), channel
    o3 = credits(warehouse, "order:o3")
    assert o3[("shapley", "t5")] == pytest.approx(0.5)
    assert o3[("shapley", "t6")] == pytest.approx(0.5)


def test_path_excludes_touches_at_or_after_the_conversion_and_outside_the_lookback(warehouse):
    # t_old is 31 days before (lookback 30), t_at at the conversion, t_after after it.
    # t1 carries no customer: it is in the path through visitor v1, mapped to c1 by t2.
    path = warehouse.query(
        "select touchpoint_id, touch_position, path_length, channel from marts.fct_attribution "
        "where conversion_id = 'order:o1' and model = 'linear' order by touch_position"
    )
    assert path["touchpoint_id"].tolist() == ["t1", "t2", "t3"]
    assert path["touch_position"].tolist() == [1, 2, 3]
    assert path["path_length"].tolist() == [3, 3, 3]
    assert path["channel"].tolist() == ["paid_search", "email", "direct"]


def test_one_touch_path_gets_all_credit_under_every_model(warehouse):
    assert_credits(credits(warehouse, "order:o2"), {(model, "t4"): 1 for model in MODELS})


def test_two_touch_path_under_every_model(warehouse):
    # o3's path: t5 display (9 days before), t6 paid_search (2 days before).
    # time decay: 2^(-9/7) : 2^(-2/7) = 1 : 2 -> 1/3, 2/3; position based, 2 touches: 0.5 / 0.5
    assert_credits(
        credits(warehouse, "order:o3"),
        {
            ("first_touch", "t5"): 1,
            ("last_touch", "t6"): 1,
            ("last_non_direct", "t6"): 1,
            ("linear", "t5"): 0.5,
            ("linear", "t6"): 0.5,
            ("time_decay", "t5"): 1 / 3,
            ("time_decay", "t6"): 2 / 3,
            ("position_based", "t5"): 0.5,
            ("position_based", "t6"): 0.5,
            ("w_shaped", "t5"): 0.5,
            ("w_shaped", "t6"): 0.5,
            # weights from the hand-computed February chain and game below
            ("markov", "t5"): 1 / 3,
            ("markov", "t6"): 2 / 3,
            ("shapley", "t5"): 0.5,
            ("shapley", "t6"): 0.5,
        },
    )


def test_conversion_without_touch_is_credited_to_direct(warehouse):
    assert_credits(credits(warehouse, "order:o4"), {(model, None): 1 for model in MODELS})
    channels = warehouse.query(
        "select distinct channel, campaign_id, touch_position, path_length "
        "from marts.fct_attribution where conversion_id = 'order:o4'"
    )
    assert channels.astype(object).where(channels.notna(), None).values.tolist() == [
        ["direct", None, 1, 1]
    ]


def test_all_direct_path_gives_last_non_direct_to_the_last_touch(warehouse):
    # o6's path: t8 direct, t9 direct. time decay: ages 2 and 1 days -> 2^(-2/7) : 2^(-1/7)
    older, newer = 2 ** (-2 / 7), 2 ** (-1 / 7)
    assert_credits(
        credits(warehouse, "order:o6"),
        {
            ("first_touch", "t8"): 1,
            ("last_touch", "t9"): 1,
            ("last_non_direct", "t9"): 1,
            ("linear", "t8"): 0.5,
            ("linear", "t9"): 0.5,
            ("time_decay", "t8"): older / (older + newer),
            ("time_decay", "t9"): newer / (older + newer),
            ("position_based", "t8"): 0.5,
            ("position_based", "t9"): 0.5,
            ("w_shaped", "t8"): 0.5,
            ("w_shaped", "t9"): 0.5,
            # one channel: its weight is split evenly over its two touches
            ("markov", "t8"): 0.5,
            ("markov", "t9"): 0.5,
            ("shapley", "t8"): 0.5,
            ("shapley", "t9"): 0.5,
        },
    )


def test_lead_and_won_deal_conversions_follow_the_leads_visitor(warehouse):
    # l1 reached MQL on 2025-01-28 (value 0) and was won on 2025-02-20 for 1000 (its latest row);
    # t7 (visitor v6) is 1 and 24 days before them: inside the lookback both times.
    conversions = warehouse.query(
        "select conversion_id, conversion_type, period, conversion_value, touchpoint_id, credit "
        "from marts.fct_attribution where model = 'linear' and conversion_id like '%l1' "
        "order by period"
    )
    assert conversions["conversion_id"].tolist() == ["lead:l1", "won_deal:l1"]
    assert conversions["conversion_type"].tolist() == ["lead", "won_deal"]
    assert [pd.Timestamp(p).date() for p in conversions["period"]] == [JANUARY, FEBRUARY]
    assert conversions["conversion_value"].tolist() == [0, 1000]
    assert conversions["touchpoint_id"].tolist() == ["t7", "t7"]
    assert conversions["credit"].tolist() == [1, 1]


def test_credit_sums_to_one_per_conversion_and_model(warehouse):
    sums = warehouse.query(
        "select conversion_id, model, sum(credit) as total, count(*) as touches "
        "from marts.fct_attribution group by conversion_id, model"
    )
    # o1, o2, o3, o4, o6, lead:l1, won_deal:l1, lead:l2, won_deal:l2 (o5 is cancelled), each
    # under every model
    assert len(sums) == 9 * len(MODELS)
    assert sums["total"].tolist() == pytest.approx([1] * len(sums), abs=1e-12)


def test_credited_revenue_equals_conversion_value_per_period_and_model(warehouse):
    # January: o1 net 90 + o2 net 45 + lead 0 = 135
    # February: o3 60 + o4 30 + o6 20 + won deals 1000 + 500 + lead 0 = 1610
    revenue = warehouse.query(
        "select period, model, sum(credited_revenue) as revenue from marts.fct_attribution "
        "group by period, model"
    )
    for row in revenue.itertuples():
        expected = 135 if pd.Timestamp(row.period).date() == JANUARY else 1610
        assert row.revenue == pytest.approx(expected), (row.period, row.model)
    assert len(revenue) == 2 * len(MODELS)
    o1 = warehouse.query(
        "select touchpoint_id, credited_revenue from marts.fct_attribution "
        "where conversion_id = 'order:o1' and model = 'time_decay' order by touch_position"
    )
    # 90 x 1/7, 90 x 2/7, 90 x 4/7
    assert o1["credited_revenue"].tolist() == pytest.approx([90 / 7, 180 / 7, 360 / 7])


def test_channel_performance_joins_spend_by_month_and_keeps_uncredited_campaigns(warehouse):
    rows = warehouse.query(
        "select period, channel, campaign_id, model, spend, impressions, clicks, credited_orders, "
        "credited_revenue, credited_leads, credited_won_deals, credited_deal_value, roas, cpa "
        "from marts.fct_channel_performance"
    )
    rows["period"] = rows["period"].map(lambda p: pd.Timestamp(p).date())
    rows = (
        rows.astype(object)
        .where(rows.notna(), None)
        .set_index(["period", "channel", "campaign_id", "model"])
    )
    # January, paid_search / cmp_search, linear: spend 100 + 20, credit 1/3 of o1 (net 90)
    search = rows.loc[(JANUARY, "paid_search", "cmp_search", "linear")]
    assert (search.spend, search.impressions, search.clicks) == (120, 1200, 60)
    assert search.credited_orders == pytest.approx(1 / 3)
    assert search.credited_revenue == pytest.approx(30)
    assert search.roas == pytest.approx(30 / 120)
    assert search.cpa == pytest.approx(120 / (1 / 3))
    # February, video / cmp_video: spend, no credit, under every model; no ROAS-killing division
    for model in MODELS:
        video = rows.loc[(FEBRUARY, "video", "cmp_video", model)]
        assert (video.spend, video.credited_orders, video.roas, video.cpa) == (40, 0, 0, None)
    # direct without campaign: o4 (30) and o6 (20) in February under linear; no spend
    direct = rows.loc[(FEBRUARY, "direct", "(none)", "linear")]
    assert direct.credited_orders == pytest.approx(2)
    assert direct.credited_revenue == pytest.approx(50)
    assert (direct.spend, direct.roas) == (0, None)
    # organic_search: the lead in January, the won deal in February
    assert rows.loc[(JANUARY, "organic_search", "(none)", "linear")].credited_leads == 1
    # ... and in February l1's won deal (1000) plus 1/4 of l2's (t12 is one of 4 touches: 125)
    won = rows.loc[(FEBRUARY, "organic_search", "(none)", "linear")]
    assert won.credited_won_deals == pytest.approx(1.25)
    assert won.credited_deal_value == pytest.approx(1125)


def marts_state(warehouse: ScratchWarehouse) -> dict[str, pd.DataFrame]:
    orderings = {
        "fct_attribution": "period, conversion_id, model, touch_position",
        "fct_channel_performance": "period, channel, campaign_id, model",
        "fct_kpi": "period, entity_type, entity_id, kpi",
    }
    return {
        mart: warehouse.query(f"select * from marts.{mart} order by {ordering}")
        for mart, ordering in orderings.items()
    }


def test_rebuilding_one_month_leaves_the_others_and_reproduces_it(warehouse):
    # January..February were built in one run; rebuilding January alone must delete and insert
    # exactly January's rows (identical to before) and leave February's as they were.
    before = marts_state(warehouse)
    for mart, frame in before.items():
        assert {pd.Timestamp(p).date() for p in frame["period"]} == {JANUARY, FEBRUARY}, mart
    warehouse.dbt("run", first=JANUARY, last=JANUARY)
    after = marts_state(warehouse)
    for mart, frame in before.items():
        pd.testing.assert_frame_equal(frame, after[mart], obj=mart)
