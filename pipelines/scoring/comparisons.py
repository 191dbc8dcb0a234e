"""Context for each KPI value: last month, the same month last year, its peers, and alerts.

Functions take the scored rows (one per entity x KPI) and add columns; all vectorised."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipelines.periods import add_months

KEY = ["entity_type", "entity_id", "kpi"]
BASELINE_MONTHS = 3  # the trailing window an alert compares a value with
NO_STAGE = ""  # peer-group key of entities without a stage
# Figures compared with a threshold are rounded first, so float noise (0.1 + 0.2 > 0.3) cannot
# push them across it.
DECIMALS = 9


def months_compared(period: date) -> list[date]:
    """The earlier months a period's comparisons read: the trailing baseline and a year ago."""
    return [*_trailing_months(period), add_months(period, -12)]


def _trailing_months(period: date) -> list[date]:
    return [add_months(period, -months) for months in range(1, BASELINE_MONTHS + 1)]


def with_values(rows: pd.DataFrame, kpis: pd.DataFrame, period: date) -> pd.DataFrame:
    """Add each KPI's value and history: previous_value, year_ago_value, and baseline (the mean
    of the trailing months available)."""
    trailing = _trailing_months(period)
    year_ago = add_months(period, -12)
    by_month = kpis.pivot(index=KEY, columns="period", values="value").reindex(
        columns=[period, *trailing, year_ago]
    )
    values = pd.DataFrame(
        {
            "value": by_month[period],
            "previous_value": by_month[trailing[0]],
            "year_ago_value": by_month[year_ago],
            "baseline": by_month[trailing].mean(axis=1),
        }
    )
    return rows.merge(values.reset_index(), on=KEY, how="left")


def with_peers(rows: pd.DataFrame, current: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Add peer_median and peer_top_decile: this period's values of the same entity type and peer
    group (`peer_group` of the entities: a rep's role, a team's stage; else the stage).

    The top decile is the 90th percentile where higher is better, the 10th where lower is."""
    entities = entities[["entity_type", "entity_id"]].assign(peer_key=peer_groups(entities))
    rows = rows.merge(entities, on=["entity_type", "entity_id"], how="left")
    peers = current.merge(entities, on=["entity_type", "entity_id"])
    peers = peers[peers["value"].notna()].assign(peer_group=_peer_group)
    group = ["entity_type", "peer_group", "kpi"]
    stats = peers.groupby(group)["value"].quantile([0.5, 0.9, 0.1]).unstack()
    stats = stats.reindex(columns=[0.5, 0.9, 0.1]).set_axis(["peer_median", "p90", "p10"], axis=1)
    rows = rows.assign(peer_group=_peer_group).merge(stats.reset_index(), on=group, how="left")
    top_decile = rows["p90"].where(rows["direction"] == "higher", rows["p10"])
    return rows.assign(peer_top_decile=top_decile).drop(
        columns=["peer_key", "peer_group", "p90", "p10"]
    )


def peer_groups(entities: pd.DataFrame) -> pd.Series:
    """Each entity's peer group within its type: `peer_group` (a rep's role, a team's stage)
    when the entities carry one, else the stage; "" for none."""
    column = "peer_group" if "peer_group" in entities else "stage"
    return entities[column].fillna(NO_STAGE)


def _peer_group(frame: pd.DataFrame) -> pd.Series:
    return frame["peer_key"].fillna(NO_STAGE)


def alerts(value: pd.Series, baseline: pd.Series, threshold: float) -> tuple[pd.Series, pd.Series]:
    """(alert, alert_change): the change relative to the baseline, and whether it exceeds threshold.

    No baseline (no trailing value, or a zero mean) means no change and no alert."""
    usable = baseline.where(baseline != 0)
    change = ((value - usable) / usable.abs()).round(DECIMALS)
    return change.abs() > threshold, change
