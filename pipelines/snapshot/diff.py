"""What changed between two snapshots: KPI values, targets, weights, scores, totals, grades.

Plain Python over warehouse rows: a period's snapshots are small, and `scorecard diff` should not
wait for pandas to import (issue 11)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pipelines.warehouse.connection import Row

TOTAL = "(total)"  # the kpi cell of an entity-level change
KPI_FIELDS = ("value", "target", "effective_weight", "score", "weighted_score")
ENTITY_FIELDS = ("total_score", "grade", "rank", "rolled_up_score")
TOLERANCE = 1e-9  # float noise is no change

Key = tuple[str, str, str]


class Change(NamedTuple):
    entity_type: str
    entity_id: str
    kpi: str
    field: str
    before: object
    after: object


def snapshot_diff(
    kpis_a: Sequence[Row],
    entities_a: Sequence[Row],
    kpis_b: Sequence[Row],
    entities_b: Sequence[Row],
) -> list[Change]:
    """One change per changed field, from snapshot A (before) to B (after), by entity type,
    entity and KPI: KPI rows by KPI, entity rows (total score, grade, rank, rolled-up score) with
    kpi '(total)'. A row only in one snapshot shows as a change from or to NULL."""
    changes = [
        *_changes(_kpi_keyed(kpis_a), _kpi_keyed(kpis_b), KPI_FIELDS),
        *_changes(_entity_keyed(entities_a), _entity_keyed(entities_b), ENTITY_FIELDS),
    ]
    return sorted(changes, key=lambda change: change[:3])


def _kpi_keyed(rows: Iterable[Row]) -> dict[Key, Row]:
    return {(row.entity_type, row.entity_id, row.kpi): row for row in rows}


def _entity_keyed(rows: Iterable[Row]) -> dict[Key, Row]:
    return {(row.entity_type, row.entity_id, TOTAL): row for row in rows}


def _changes(a: dict[Key, Row], b: dict[Key, Row], fields: Sequence[str]) -> list[Change]:
    """Per key in either snapshot, the fields that differ. A row missing on one side, or a
    column missing from both (a warehouse from before it), reads as NULL: getattr's default."""
    changes = []
    for key in sorted(a.keys() | b.keys()):
        for field in fields:
            before, after = getattr(a.get(key), field, None), getattr(b.get(key), field, None)
            if not _same(before, after):
                changes.append(Change(*key, field, before, after))
    return changes


def _same(before: object, after: object) -> bool:
    if _is_null(before) or _is_null(after):
        return _is_null(before) and _is_null(after)
    if isinstance(before, int | float) and isinstance(after, int | float):
        return abs(before - after) <= TOLERANCE
    return before == after


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
