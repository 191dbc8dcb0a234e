"""Score one period: KPI values against targets through curves and weights, into entity scores.

Pure functions on DataFrames, vectorised: thousands of entities score in a fraction of a second."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from pipelines.periods import add_months
from pipelines.scoring.comparisons import (
    DECIMALS,
    KEY,
    alerts,
    months_compared,
    peer_groups,
    with_peers,
    with_values,
)
from pipelines.scoring.curves import Curve, apply_curves
from pipelines.scoring.scorecard import WEIGHT_TOTAL, ScorecardVersion, TargetSource

ENTITY = ["entity_type", "entity_id"]
DEFAULT_LIST = ""  # plan key of an entity type's default KPI list; stage lists use the stage

KPI_SCORE_COLUMNS = [
    "period", "entity_type", "entity_id", "kpi", "perspective", "value", "target", "achievement",
    "score", "weight", "effective_weight", "weighted_score", "status", "previous_value",
    "year_ago_value", "peer_median", "peer_top_decile", "alert", "alert_change",
]  # fmt: skip
ENTITY_SCORE_COLUMNS = [
    "period", "entity_type", "entity_id", "parent_entity_id", "peer_group", "total_score", "grade",
    "grade_label", "rank", "percentile", "achievement_basis", "bonus_multiplier",
    "rolled_up_score",
]  # fmt: skip


ALERT_COLUMNS = [
    "period", "entity_type", "entity_id", "kpi", "value", "baseline", "change", "direction",
    "threshold",
]  # fmt: skip
ROLLUP_TREE = ("company", "team", "rep")


@dataclass(frozen=True)
class ScoredPeriod:
    kpi_scores: pd.DataFrame
    entity_scores: pd.DataFrame
    alerts: pd.DataFrame


def score_period(
    period: date,
    kpis: pd.DataFrame,
    targets: pd.DataFrame,
    entities: pd.DataFrame,
    version: ScorecardVersion,
) -> ScoredPeriod:
    """Score every entity of a scored type that has a KPI row in `period`.

    `kpis` (period, entity_type, entity_id, kpi, value, null_reason: why value is NULL, as
    fct_kpi says) also holds earlier periods (for comparisons); `targets` at least this
    period's."""
    _require_date_periods(kpis, "kpis")
    _require_date_periods(targets, "targets")
    plan, curves = _plan(version)
    kpis = kpis[kpis["period"].isin([period, *months_compared(period)])]
    targets = targets.loc[targets["period"] == period, [*KEY, "target_value"]].astype(
        {"target_value": float}
    )
    _require_unique(kpis, ["period", *KEY], "kpis")
    _require_unique(targets, KEY, "targets")
    _require_unique(entities, ENTITY, "entities")
    scored = _scored_entities(kpis[kpis["period"] == period], entities, version)
    basis = _rollup_basis(kpis[kpis["period"] == period], version.rollup_basis)
    # Only scored KPIs (and the KPIs shares are taken from) need values and comparisons.
    kpis = kpis[kpis["kpi"].isin(plan["kpi"]) | kpis["kpi"].isin(plan["share_by"])]
    current = kpis[(kpis["period"] == period) & kpis["kpi"].isin(plan["kpi"])]
    rows = scored.merge(plan, on=["entity_type", "plan_key"])
    rows = with_values(rows, kpis, period)
    rows = rows.merge(current[[*KEY, "null_reason"]], on=KEY, how="left")
    rows = with_peers(rows, current, entities)
    rows = rows.merge(targets, on=KEY, how="left")
    rows["target"] = rule_targets(rows, kpis, targets, period)
    rows = _score_kpis(rows, curves)
    rows["alert"], rows["alert_change"] = alerts(
        rows["value"], rows["baseline"], version.alert_threshold
    )
    rows["period"] = period
    kpi_scores = rows.sort_values(KEY)[KPI_SCORE_COLUMNS].reset_index(drop=True)
    entity_scores = _score_entities(rows, scored, version, period)
    entity_scores["rolled_up_score"] = rolled_up_scores(entity_scores, basis)
    return ScoredPeriod(kpi_scores, entity_scores, alert_rows(rows, version.alert_threshold))


def rule_targets(
    rows: pd.DataFrame, kpis: pd.DataFrame, targets: pd.DataFrame, period: date
) -> pd.Series:
    """Each row's target under its KPI's rule (rows carry target_value, previous_value,
    year_ago_value, target_source, target_factor and share_by).

    company_share: the company's target x (the entity's share_by value last month / the
    company's); NULL when either is missing or the company's is zero."""
    previous = kpis.loc[kpis["period"] == add_months(period, -1), [*KEY, "value"]]
    shares = previous.rename(columns={"kpi": "share_by", "value": "share_value"})
    company = shares[shares["entity_type"] == "company"]
    company = company[["share_by", "share_value"]].rename(columns={"share_value": "company_value"})
    company_targets = targets.loc[targets["entity_type"] == "company", ["kpi", "target_value"]]
    shared = (
        rows[[*KEY, "share_by"]]
        .merge(shares, on=["entity_type", "entity_id", "share_by"], how="left")
        .merge(company, on="share_by", how="left")
        .merge(company_targets.rename(columns={"target_value": "company_target"}), how="left")
    )
    share = shared["share_value"] / shared["company_value"].where(shared["company_value"] != 0)
    by_source = {
        TargetSource.TARGETS: rows["target_value"].to_numpy(),
        TargetSource.LAST_YEAR: (rows["year_ago_value"] * rows["target_factor"]).to_numpy(),
        TargetSource.PREVIOUS_PERIOD: (rows["previous_value"] * rows["target_factor"]).to_numpy(),
        TargetSource.COMPANY_SHARE: (shared["company_target"] * share).to_numpy(),
    }
    source = rows["target_source"].to_numpy()
    chosen = np.select([source == str(s) for s in by_source], list(by_source.values()), np.nan)
    return pd.Series(chosen, index=rows.index, dtype=float)


def alert_rows(rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """One row per KPI that moved more than `threshold` from its trailing baseline."""
    moved = rows[rows["alert"].fillna(False).astype(bool)]
    return (
        moved.assign(
            change=moved["alert_change"],
            direction=np.where(moved["alert_change"] > 0, "up", "down"),
            threshold=threshold,
        )
        .sort_values(KEY)[ALERT_COLUMNS]
        .reset_index(drop=True)
    )


def _rollup_basis(current: pd.DataFrame, basis_kpi: str | None) -> pd.Series | None:
    """Each entity's roll-up weight (its value of the basis KPI), or None for equal weights."""
    if basis_kpi is None:
        return None
    values = current[current["kpi"] == basis_kpi]
    return values.set_index(ENTITY)["value"]


def rolled_up_scores(entity_scores: pd.DataFrame, basis: pd.Series | None) -> pd.Series:
    """Scores rolled up the sales tree: a rep's is its total score; a team's and the company's the
    weighted mean of the rolled-up scores directly below (its reps and child teams).

    Weights: 1 each, or `basis` (by (entity_type, entity_id)); children without a score or a
    positive weight are left out; NULL when nothing below is scored. Other types: NULL."""
    frame = entity_scores.reset_index(drop=True)
    keys = list(zip(frame["entity_type"], frame["entity_id"], strict=True))
    totals = dict(zip(keys, frame["total_score"], strict=True))
    children: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for key, parent in zip(keys, frame["parent_entity_id"], strict=True):
        if key[0] in ("team", "rep") and isinstance(parent, str):
            parent_type = "company" if key[0] == "team" and parent == "company" else "team"
            children.setdefault((parent_type, parent), []).append(key)
    weights = {} if basis is None else basis.to_dict()
    rolled: dict[tuple[str, str], float] = {}

    def roll(key: tuple[str, str], path: tuple) -> float:
        if key in path:
            raise ValueError(f"the team hierarchy has a cycle through {key[1]}")
        if key not in rolled:
            if key[0] == "rep":
                rolled[key] = totals.get(key, np.nan)
            else:
                below = [(roll(child, (*path, key)), child) for child in children.get(key, [])]
                pairs = [
                    (score, weight)
                    for score, child in below
                    if pd.notna(score)
                    and pd.notna(weight := weights.get(child, 1.0 if basis is None else np.nan))
                    and weight > 0
                ]
                total_weight = sum(weight for _, weight in pairs)
                rolled[key] = (
                    round(sum(s * w for s, w in pairs) / total_weight, DECIMALS)
                    if total_weight
                    else np.nan
                )
        return rolled[key]

    return pd.Series(
        [roll(key, ()) if key[0] in ROLLUP_TREE else np.nan for key in keys],
        index=entity_scores.index,
        dtype=float,
    )


def _require_date_periods(frame: pd.DataFrame, name: str) -> None:
    """Periods must be datetime.date: a datetime64 column would silently match no period."""
    if not frame.empty and not pd.api.types.is_object_dtype(frame["period"]):
        raise TypeError(
            f"{name}.period must hold datetime.date values, not {frame['period'].dtype}"
        )


def _require_unique(frame: pd.DataFrame, key: list[str], name: str) -> None:
    duplicates = int(frame.duplicated(key).sum())
    if duplicates:
        raise ValueError(f"{name}: {duplicates} duplicate row(s) for ({', '.join(key)})")


def _scored_entities(
    current: pd.DataFrame, entities: pd.DataFrame, version: ScorecardVersion
) -> pd.DataFrame:
    """Entities of the version's types with a KPI row this period, keyed to their KPI list."""
    present = current[ENTITY].drop_duplicates()
    scored_types = [str(entity_type) for entity_type in version.entity_types]
    scored = entities[entities["entity_type"].isin(scored_types)].merge(present, on=ENTITY)
    stage_lists = pd.DataFrame(
        [(str(entity_type), stage) for entity_type, stage, _ in version.kpi_lists() if stage],
        columns=["entity_type", "stage"],
    )
    scored = scored.merge(stage_lists.assign(plan_key=stage_lists["stage"]), how="left")
    return scored.assign(plan_key=scored["plan_key"].fillna(DEFAULT_LIST))


def _plan(version: ScorecardVersion) -> tuple[pd.DataFrame, list[Curve]]:
    """One row per KPI of every list of the version, and the curves its curve_index points into."""
    rows, curves = [], []
    for entity_type, stage, kpis in version.kpi_lists():
        for scored in kpis:
            rows.append(
                {
                    "entity_type": str(entity_type),
                    "plan_key": stage or DEFAULT_LIST,
                    "kpi": scored.kpi,
                    "perspective": str(scored.perspective),
                    "direction": str(scored.direction),
                    "weight": scored.weight,
                    "curve_index": len(curves),
                    "target_source": str(scored.target.source),
                    "target_factor": scored.target.factor,
                    "share_by": scored.target.share_by,
                }
            )
            curves.append(scored.curve)
    plan = pd.DataFrame(rows)
    return plan, curves


def _score_kpis(rows: pd.DataFrame, curves: list[Curve]) -> pd.DataFrame:
    """Achievement, score and weights per KPI; inapplicable KPIs give their weight to the rest.

    The status of a KPI without a value says why, from fct_kpi ('no value: source not provided:
    ad_spend'), so a scorecard lists what it could not score and the reason."""
    value, target = rows["value"], rows["target"]
    no_value = ("no value: " + rows["null_reason"]).fillna("no value")
    status = np.select(
        [value.isna(), target.isna(), target <= 0],
        [no_value, "no target", "target not positive"],
        "scored",
    )
    applicable = pd.Series(status == "scored", index=rows.index)
    curve_index = rows["curve_index"].to_numpy()
    max_achievement = pd.Series(
        np.array([curve.max_achievement for curve in curves])[curve_index], index=rows.index
    )
    higher = rows["direction"] == "higher"
    # Lower is better: target / value, and a value at or below zero beats any positive target.
    lower_achievement = (target / value.where(value > 0)).fillna(max_achievement)
    achievement = (value / target).where(higher, lower_achievement).where(applicable)
    points = apply_curves(achievement.to_numpy(), curve_index, curves)
    score = pd.Series(points, index=rows.index).where(applicable)
    applicable_weight = (
        rows["weight"]
        .where(applicable, 0.0)
        .groupby([rows["entity_type"], rows["entity_id"]])
        .transform("sum")
    )
    effective_weight = (rows["weight"] * WEIGHT_TOTAL / applicable_weight).where(applicable, 0.0)
    capped = achievement.clip(lower=0, upper=max_achievement)
    return rows.assign(
        status=status,
        achievement=achievement,
        score=score,
        effective_weight=effective_weight,
        weighted_score=score * effective_weight / WEIGHT_TOTAL,
        basis_part=capped * effective_weight / WEIGHT_TOTAL,
    )


def _score_entities(
    rows: pd.DataFrame, scored: pd.DataFrame, version: ScorecardVersion, period: date
) -> pd.DataFrame:
    """Total score, grade, rank and percentile within the entity type, and bonus tier."""
    sums = rows.groupby(ENTITY, as_index=False)[["weighted_score", "basis_part"]].sum(min_count=1)
    totals = scored[[*ENTITY, "parent_entity_id"]].assign(peer_group=peer_groups(scored))
    totals = totals.merge(sums.round(DECIMALS), on=ENTITY)
    total, basis = totals["weighted_score"], totals["basis_part"]
    bands = list(reversed(version.grade_bands))  # lowest first, as the lookup needs
    by_type = total.groupby([totals["entity_type"], totals["peer_group"]])  # rank among peers
    return (
        totals.assign(
            period=period,
            total_score=total,
            grade=_tier(total, [b.min_score for b in bands], [b.grade for b in bands]),
            grade_label=_tier(total, [b.min_score for b in bands], [b.label for b in bands]),
            rank=by_type.rank(method="min", ascending=False).astype("Int64"),
            percentile=by_type.rank(method="max", pct=True) * 100,
            achievement_basis=basis,
            bonus_multiplier=_tier(
                basis,
                [t.min_achievement for t in version.bonus_tiers],
                [t.multiplier for t in version.bonus_tiers],
            ).astype(float),
            rolled_up_score=np.nan,  # set once every entity of the period is scored
        )
        .sort_values(ENTITY)[ENTITY_SCORE_COLUMNS]
        .reset_index(drop=True)
    )


def _tier(values: pd.Series, minimums: list[float], outcomes: list) -> pd.Series:
    """The outcome of the highest minimum each value reaches (minimums ascending); None if null."""
    position = np.searchsorted(minimums, values.fillna(-np.inf).to_numpy(), side="right") - 1
    picked = np.array(outcomes, dtype=object)[position.clip(0)]
    return pd.Series(picked, index=values.index).where(values.notna() & (position >= 0), None)
