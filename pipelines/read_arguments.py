"""The read commands' arguments checked against what the warehouse holds.

A period, version, entity or snapshot the warehouse knows nothing of is a mistake in the command
(exit 2 with one line naming it and what there is), never an empty table that reads like an
answer. Each check raises ValueError, which the command line prints as that one line."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from pipelines.periods import month_label

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse


def _listed(values: list[str], none: str) -> str:
    return ", ".join(values) if values else none


def published_periods(warehouse: Warehouse) -> str:
    """The first and last month with a current snapshot, as a person reads a range."""
    rows = warehouse.rows(
        "select min(period) as first, max(period) as last from scorecard.current_snapshots"
    )
    if not rows or rows[0].first is None:
        return "nothing is published yet"
    first, last = month_label(rows[0].first), month_label(rows[0].last)
    return f"published: {first}" if first == last else f"published: {first} to {last}"


def require_published(warehouse: Warehouse, first: date, last: date, label: str) -> None:
    """Some month of first..last has a current snapshot."""
    if not warehouse.rows(
        "select snapshot_id from scorecard.current_snapshots where period between ? and ? "
        "limit 1",
        [first, last],
    ):
        raise ValueError(f"no published scorecard for {label} ({published_periods(warehouse)})")


def snapshot_under(warehouse: Warehouse, period: date, version: str) -> str:
    """The period's latest snapshot scored under `version`."""
    rows = warehouse.rows(
        "select snapshot_id, scorecard_version from scorecard.snapshots where period = ? "
        "order by scored_at desc",
        [period],
    )
    for row in rows:
        if row.scorecard_version == version:
            return row.snapshot_id
    versions = sorted({row.scorecard_version for row in rows})
    raise ValueError(
        f"no snapshot of {month_label(period)} scored under version '{version}' "
        f"(versions scored: {_listed(versions, 'none, nothing was scored for it')})"
    )


def require_version(warehouse: Warehouse, version: str) -> None:
    """Some snapshot was scored under `version`."""
    if warehouse.rows(
        "select snapshot_id from scorecard.snapshots where scorecard_version = ? limit 1",
        [version],
    ):
        return
    versions = [
        row.scorecard_version
        for row in warehouse.rows(
            "select distinct scorecard_version from scorecard.snapshots order by 1"
        )
    ]
    raise ValueError(
        f"no snapshot scored under version '{version}' "
        f"(versions scored: {_listed(versions, 'none yet')})"
    )


def require_entity(warehouse: Warehouse, entity: str) -> None:
    """Some published scorecard scores `entity`."""
    if not warehouse.rows(
        "select entity_id from scorecard.entity_scores where entity_id = ? limit 1", [entity]
    ):
        raise ValueError(f"no entity '{entity}' in any published scorecard")


def require_landed(warehouse: Warehouse, period: date) -> None:
    """Some file landed for the period (its quarantine may then rightly be empty)."""
    if not warehouse.rows(
        "select batch_id from quality.landed_batches where period = ? limit 1", [period]
    ):
        raise ValueError(f"nothing was landed for {month_label(period)}: no quarantine to list")
