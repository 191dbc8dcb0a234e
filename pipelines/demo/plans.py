"""Plans and manual inputs: monthly targets per entity and KPI, and team-growth figures.

A target is what a planner would have expected: the KPI as generated (by the KPI catalogue's
formulas, over measures named as the warehouse names them), scaled to a full month, times a
random factor, rounded the way people round."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.assumptions import Assumptions
from pipelines.demo.tables import build, constant, round_significant, schema
from pipelines.demo.timeline import DAY, Window
from pipelines.demo.world import World
from pipelines.periods import month_label
from pipelines.scoring.kpi_catalogue import Check, Unit, kpi_catalogue

# The additive measures the demo sums per entity, named as the KPI catalogue's formulas name them
# (int_kpi_measures_rolled_up): a planned KPI's numerator and denominator must be among them.
MEASURES = [
    "revenue",
    "new_customers",
    "orders",
    "complaints",
    "spend",
    "leads",
    "mqls",
    "mqls_with_sql",
    "closed_leads",
    "won_leads",
    "won_deal_value",
    "won_lead_days",
]

COMPANY = "company"

# How a team's manual figures follow from those of its reps (the team's and every team below).
MANUAL_KPIS = {
    "training_completion": "mean",
    "innovation_proposals": "sum",
    "compliance_rate": "mean",
}


def active_reps(world: World, window: Window, cutoff: int) -> np.ndarray:
    """Codes of the reps employed at some point of the month (before the cutoff)."""
    reps = world.reps
    return np.flatnonzero((reps.hired < min(window.end, cutoff)) & (reps.left > window.start))


def targets_table(
    rng: np.random.Generator,
    assumptions: Assumptions,
    world: World,
    window: Window,
    cutoff: int,
    month: dict[str, pa.Table],
) -> pa.Table:
    """Targets of the month for every entity and KPI the plan covers with an expected value > 0."""
    elapsed = window.share_before(cutoff)
    if elapsed == 0:
        return schema("targets").empty_table()
    spec = assumptions.plans
    entity_type, entity_id, kpi, expected = [], [], [], []
    for kind, (ids, measures) in _measures(world, window, cutoff, month).items():
        kpis = spec.target_kpis.get(kind, [])
        entity_type += [kind] * (len(ids) * len(kpis))
        entity_id += [entity for entity in ids for _ in kpis]
        kpi += kpis * len(ids)
        values = [_kpi_values(measures, name, elapsed) for name in kpis]
        expected.append(np.stack(values, axis=1).ravel() if values else np.empty(0))
    value = np.concatenate(expected)
    planned = np.flatnonzero(np.isfinite(value) & (value > 0))
    target = value[planned] * rng.uniform(*spec.target_factor, len(planned))
    target = round_significant(target, spec.significant_digits)
    names = np.array(kpi, dtype=object)[planned]
    catalogue = kpi_catalogue()
    shares = [name for name, kpi in catalogue.items() if kpi.check is Check.SHARE]
    target = np.where(np.isin(names, shares), np.minimum(target, 1), target)  # at most 1
    whole = np.isin(names, [name for name, kpi in catalogue.items() if kpi.unit is Unit.COUNT])
    return build(
        "targets",
        {
            "period": constant(month_label(window.month), len(planned)),
            "entity_type": pa.array(entity_type).take(planned),
            "entity_id": pa.array(entity_id).take(planned),
            "kpi": pa.array(kpi).take(planned),
            "target_value": np.where(whole, np.maximum(np.round(target), 1), target),
        },
    )


def _kpi_values(measures: dict[str, np.ndarray], kpi: str, elapsed: float) -> np.ndarray:
    """The KPI per entity for a whole month, by the catalogue's formula: sums scale up from the
    elapsed share, ratios not."""
    spec = kpi_catalogue()[kpi]
    for part in (spec.numerator, spec.denominator):
        if part is not None and part not in measures:
            raise ValueError(
                f"plans.target_kpis: {kpi} is {spec.numerator} / {spec.denominator}, and the "
                f"demo sums only the measures {', '.join(MEASURES)}"
            )
    if spec.denominator is None:
        return measures[spec.numerator] / elapsed
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = measures[spec.numerator] / measures[spec.denominator]
        return np.where(measures[spec.denominator] > 0, ratio, np.nan) * spec.scale


@dataclass(frozen=True)
class Facts:
    """Rows of one source: what each row adds to each measure, and, per entity type, the id of
    the entity it counts for (EVERY_ROW: all rows count for the one entity, the company)."""

    measures: dict[str, np.ndarray]
    keys: dict[str, pa.ChunkedArray | None]


EVERY_ROW = None


def _measures(
    world: World, window: Window, cutoff: int, month: dict[str, pa.Table]
) -> dict[str, tuple[list[str], dict[str, np.ndarray]]]:
    """Per entity type: its entity ids, and each measure summed per entity."""
    facts = _facts(window, month)

    def summed(kind: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        return _sum_by(ids, [(f.keys[kind], f.measures) for f in facts if kind in f.keys])

    by_rep = summed("rep", world.reps.ids)
    members = world.team_members()
    active = active_reps(world, window, cutoff)
    paid_campaigns = [world.campaigns.ids[c] for c in world.paid_campaigns]
    return {
        "company": ([COMPANY], summed("company", [COMPANY])),
        "team": ([t.team_id for t in world.teams], {m: members @ v for m, v in by_rep.items()}),
        "rep": ([world.reps.ids[r] for r in active], {m: v[active] for m, v in by_rep.items()}),
        "channel": (world.channels, summed("channel", world.channels)),
        "campaign": (paid_campaigns, summed("campaign", paid_campaigns)),
    }


def _facts(window: Window, month: dict[str, pa.Table]) -> list[Facts]:
    """The month's facts: orders and complaints count for the customer's owner rep, leads for
    their rep and origin, order credits and spend for channels and campaigns."""
    orders = month["orders"].filter(pc.not_equal(month["orders"]["status"], "cancelled"))
    tickets, leads, ad_spend = month["tickets"], month["leads"], month["ad_spend"]
    order_measures = {
        "revenue": orders["_net_revenue"].to_numpy(),
        "new_customers": orders["_first_order"].to_numpy().astype(float),
        "orders": np.ones(orders.num_rows),
    }
    credits = month["order_credits"]
    credited_order = _codes(credits["order_id"], orders["order_id"])
    credits = credits.filter(pa.array(credited_order >= 0))  # not the cancelled orders
    share = credits["share"].to_numpy()
    credited = {
        m: share * order_measures[m][credited_order[credited_order >= 0]]
        for m in ("revenue", "new_customers")
    }
    complaints = pc.equal(tickets["category"], "complaint").to_numpy().astype(float)
    return [
        Facts(order_measures, {"company": EVERY_ROW, "rep": orders["_owner_rep_id"]}),
        Facts({"complaints": complaints}, {"company": EVERY_ROW, "rep": tickets["_owner_rep_id"]}),
        Facts(
            _lead_measures(window, leads),
            {
                "company": EVERY_ROW,
                "rep": leads["rep_id"],
                "channel": leads["origin_channel"],
                "campaign": leads["campaign_id"],
            },
        ),
        Facts(credited, {"channel": credits["channel"], "campaign": credits["campaign_id"]}),
        Facts(
            {"spend": ad_spend["spend"].to_numpy()},
            {
                "company": EVERY_ROW,
                "channel": ad_spend["channel"],
                "campaign": ad_spend["campaign_id"],
            },
        ),
    ]


def _lead_measures(window: Window, leads: pa.Table) -> dict[str, np.ndarray]:
    """What each lead row adds to the month: created, reached MQL (and then SQL), closed, won."""
    within = _within(window)
    status = leads["status"].to_numpy(zero_copy_only=False)
    mql = within(leads["mql_at"])
    closed = within(leads["closed_at"]) * np.isin(status, ["won", "lost"])
    won = closed * (status == "won")
    days = (_seconds(leads["closed_at"]) - _seconds(leads["created_at"])) / DAY
    return {
        "leads": within(leads["created_at"]),
        "mqls": mql,
        "mqls_with_sql": mql * leads["_sql_at"].is_valid().to_numpy(zero_copy_only=False),
        "closed_leads": closed,
        "won_leads": won,
        "won_deal_value": np.nan_to_num(leads["deal_value"].to_numpy(zero_copy_only=False)) * won,
        "won_lead_days": np.nan_to_num(days) * won,
    }


def _seconds(moments: pa.ChunkedArray) -> np.ndarray:
    """Seconds since 1970 as floats, NaN where null."""
    return moments.cast(pa.int64()).to_numpy(zero_copy_only=False).astype(float)


def _within(window: Window):
    """1.0 for moments inside the month, else 0.0 (null moments are outside)."""

    def inside(moments: pa.ChunkedArray) -> np.ndarray:
        seconds = _seconds(moments)
        return ((seconds >= window.start) & (seconds < window.end)).astype(float)

    return inside


def _sum_by(
    ids: Sequence[str], sources: list[tuple[pa.ChunkedArray | None, dict[str, np.ndarray]]]
) -> dict[str, np.ndarray]:
    """Every measure summed per entity of `ids`; rows whose entity is not among them are ignored."""
    totals = {m: np.zeros(len(ids)) for m in MEASURES}
    for keys, measures in sources:
        if keys is EVERY_ROW:
            code = np.zeros(len(next(iter(measures.values()))), dtype=np.int64)
        else:
            code = _codes(keys, pa.array(ids, pa.string()))
        counted = code >= 0
        for name, values in measures.items():
            totals[name] += np.bincount(code[counted], weights=values[counted], minlength=len(ids))
    return totals


def _codes(keys: pa.ChunkedArray, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The position of each key among `ids`; -1 where it is null or absent."""
    return pc.fill_null(pc.index_in(keys, value_set=ids), -1).to_numpy().astype(np.int64)


def manual_kpis_table(
    rng: np.random.Generator, assumptions: Assumptions, world: World, window: Window, cutoff: int
) -> pa.Table:
    """What no system records, as reported for every active rep and rolled up for every team:
    training completion and compliance (team: mean of its reps), innovation proposals (sum)."""
    if window.share_before(cutoff) == 0:
        return schema("manual_kpis").empty_table()
    spec = assumptions.plans
    reps = world.reps
    count = len(reps.ids)
    training = np.clip(reps.training_level + rng.normal(0, 0.05, count), 0, 1)
    proposals = rng.poisson(spec.innovation_proposals_mean * reps.skill)
    per_rep = {
        "training_completion": np.round(training, 2),
        "innovation_proposals": proposals.astype(float),
        "compliance_rate": np.round(rng.uniform(*spec.compliance_rate, count), 3),
    }
    active = np.zeros(count, dtype=bool)
    active[active_reps(world, window, cutoff)] = True
    members = world.team_members() * active[None, :]
    headcount = members.sum(axis=1)
    staffed = headcount > 0
    per_team = {}
    for kpi, values in per_rep.items():
        total = members @ values
        if MANUAL_KPIS[kpi] == "mean":
            total = np.divide(total, headcount, out=np.zeros_like(total), where=staffed)
        per_team[kpi] = np.round(total, 3)
    team_ids = [
        team.team_id for team, has_reps in zip(world.teams, staffed, strict=True) if has_reps
    ]
    rep_ids = [reps.ids[r] for r in np.flatnonzero(active)]
    kpis = list(MANUAL_KPIS)
    value = np.concatenate(
        [
            np.stack([per_team[k][staffed] for k in kpis], axis=1).ravel(),
            np.stack([per_rep[k][active] for k in kpis], axis=1).ravel(),
        ]
    )
    entity_type = ["team"] * len(team_ids) + ["rep"] * len(rep_ids)
    return build(
        "manual_kpis",
        {
            "period": constant(month_label(window.month), len(value)),
            "entity_type": [kind for kind in entity_type for _ in kpis],
            "entity_id": [entity for entity in team_ids + rep_ids for _ in kpis],
            "kpi": kpis * (len(team_ids) + len(rep_ids)),
            "value": value,
        },
    )
