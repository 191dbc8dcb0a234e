"""What changed between two snapshots: KPI values, targets, weights, scores, totals, grades."""

from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["entity_type", "entity_id", "kpi"]
TOTAL = "(total)"  # the kpi cell of an entity-level change
KPI_FIELDS = ["value", "target", "effective_weight", "score", "weighted_score"]
ENTITY_FIELDS = ["total_score", "grade", "rank", "rolled_up_score"]
DIFF_COLUMNS = [*KEY, "field", "before", "after"]
TOLERANCE = 1e-9  # float noise is no change


def snapshot_diff(
    kpis_a: pd.DataFrame,
    entities_a: pd.DataFrame,
    kpis_b: pd.DataFrame,
    entities_b: pd.DataFrame,
) -> pd.DataFrame:
    """One row per changed field, from snapshot A (before) to B (after): KPI rows by entity and
    KPI, entity rows (total score, grade, rank, rolled-up score) with kpi '(total)'. A row only
    in one snapshot shows as a change from or to NULL."""
    kpis = _changes(kpis_a, kpis_b, KPI_FIELDS)
    entities = _changes(entities_a.assign(kpi=TOTAL), entities_b.assign(kpi=TOTAL), ENTITY_FIELDS)
    changes = pd.concat([kpis, entities], ignore_index=True)
    return changes.sort_values(KEY, kind="stable").reset_index(drop=True)[DIFF_COLUMNS]


def _changes(a: pd.DataFrame, b: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    fields = [field for field in fields if field in a and field in b]
    merged = a[[*KEY, *fields]].merge(
        b[[*KEY, *fields]], on=KEY, how="outer", suffixes=("_a", "_b")
    )
    frames = []
    for field in fields:
        before, after = merged[f"{field}_a"], merged[f"{field}_b"]
        changed = ~_same(before, after)
        frames.append(
            merged.loc[changed, KEY].assign(
                field=field,
                before=before[changed].astype(object),
                after=after[changed].astype(object),
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DIFF_COLUMNS)


def _same(before: pd.Series, after: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(before) and pd.api.types.is_numeric_dtype(after):
        close = np.isclose(
            before.astype(float), after.astype(float), rtol=0, atol=TOLERANCE, equal_nan=True
        )
        return pd.Series(close, index=before.index)
    return (before == after) | (before.isna() & after.isna())
