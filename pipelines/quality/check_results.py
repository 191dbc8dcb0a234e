"""Every check verdict of every run, kept in `quality.check_results` for people and snapshots."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime

import pandas as pd

from pipelines.quality.policy import Severity
from pipelines.warehouse import Warehouse


@dataclass(frozen=True)
class CheckVerdict:
    asset: str
    check_name: str
    severity: Severity
    passed: bool
    observed: str
    threshold: str = ""
    details: dict[str, object] = field(default_factory=dict)


def record_verdicts(
    warehouse: Warehouse, run_id: str, first: date, last: date, verdicts: list[CheckVerdict]
) -> None:
    if not verdicts:
        return
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            **asdict(verdict),
            "severity": verdict.severity.value,
            "details": json.dumps(verdict.details, default=str, sort_keys=True),
            "run_id": run_id,
            "checked_at": checked_at,
            "period_from": first,
            "period_to": last,
        }
        for verdict in verdicts
    ]
    with warehouse.transaction():
        warehouse.insert_frame("quality.check_results", pd.DataFrame(rows))


def run_verdicts(warehouse: Warehouse, run_id: str) -> pd.DataFrame:
    """The verdicts a run recorded, failures first."""
    return warehouse.query(
        "select asset, check_name, severity, passed, observed, threshold "
        "from quality.check_results where run_id = ? order by passed, asset, check_name",
        [run_id],
    )
