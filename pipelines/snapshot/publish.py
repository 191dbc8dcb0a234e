"""Publish scored snapshots: immutable, versioned, all-or-nothing, only behind a passed gate."""

from __future__ import annotations

import json
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib.metadata import version as package_version

import pandas as pd

from pipelines.config import PROJECT_ROOT
from pipelines.extract.contract import load_contract
from pipelines.periods import month_label
from pipelines.quality.check_results import run_verdicts
from pipelines.scoring.engine import score_period
from pipelines.scoring.scorecard import Scorecard, scorecard_hash
from pipelines.snapshot.inputs import read_inputs, source_watermarks
from pipelines.warehouse import Warehouse

KPI_SCORE_COLUMNS = [
    "snapshot_id",
    "period",
    "entity_type",
    "entity_id",
    "kpi",
    "perspective",
    "value",
    "target",
    "achievement",
    "score",
    "weight",
    "effective_weight",
    "weighted_score",
    "status",
    "previous_value",
    "year_ago_value",
    "peer_median",
    "peer_top_decile",
    "alert",
    "alert_change",
]
ENTITY_SCORE_COLUMNS = [
    "snapshot_id",
    "period",
    "entity_type",
    "entity_id",
    "parent_entity_id",
    "total_score",
    "grade",
    "grade_label",
    "rank",
    "percentile",
    "achievement_basis",
    "bonus_multiplier",
]


class GateClosedError(RuntimeError):
    """A blocking check of this run failed: nothing may be published."""


@dataclass(frozen=True)
class PublishedSnapshot:
    snapshot_id: str
    period: date
    status: str
    scorecard_version: str
    entities: int


@cache
def code_version() -> str:
    """The package version plus the git commit it runs from, when there is one."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return f"{package_version('marketing-scorecard')}+{commit}"


def period_status(period: date, now: datetime) -> str:
    """A month still open (the current month or later) is provisional; a past month is final."""
    return "provisional" if (period.year, period.month) >= (now.year, now.month) else "final"


def checks_summary(verdicts: pd.DataFrame) -> tuple[bool, str]:
    """Whether every blocking check passed, and a JSON summary of the run's verdicts."""
    failed = verdicts[~verdicts["passed"].astype(bool)]
    blocking_failed = failed[failed["severity"] == "blocking"]
    summary = {
        "checks": len(verdicts),
        "failed": len(failed),
        "failures": [
            f"{row.asset}: {row.check_name} ({row.observed})" for row in failed.itertuples()
        ],
    }
    return blocking_failed.empty, json.dumps(summary, sort_keys=True)


def publish_snapshots(
    warehouse: Warehouse, months: list[date], scorecard: Scorecard, run_id: str
) -> list[PublishedSnapshot]:
    """Score every month and publish one new snapshot per month, all in one transaction."""
    passed, summary = checks_summary(run_verdicts(warehouse, run_id))
    if not passed:
        raise GateClosedError(f"blocking checks failed, nothing published: {summary}")
    inputs = read_inputs(warehouse, months[0], months[-1])
    watermarks = source_watermarks(warehouse, list(load_contract().tables), months[0], months[-1])
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    snapshots, kpi_frames, entity_frames, published = [], [], [], []
    for month in months:
        version = scorecard.version_for(month)
        scored = score_period(month, inputs.kpis, inputs.targets, inputs.entities, version)
        snapshot_id = f"{month_label(month)}-{scored_at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        status = period_status(month, scored_at)
        snapshots.append(
            {
                "snapshot_id": snapshot_id,
                "period": month,
                "status": status,
                "scored_at": scored_at,
                "run_id": run_id,
                "scorecard_version": version.version,
                "scorecard_hash": scorecard_hash(version),
                "code_version": code_version(),
                "source_watermark": watermarks.get(month),
                "checks_passed": passed,
                "checks_summary": summary,
            }
        )
        kpi_frames.append(scored.kpi_scores.assign(snapshot_id=snapshot_id)[KPI_SCORE_COLUMNS])
        entity_frames.append(
            scored.entity_scores.assign(snapshot_id=snapshot_id)[ENTITY_SCORE_COLUMNS]
        )
        published.append(
            PublishedSnapshot(
                snapshot_id, month, status, version.version, len(scored.entity_scores)
            )
        )
    with warehouse.transaction():
        warehouse.insert_frame("scorecard.snapshots", pd.DataFrame(snapshots))
        warehouse.insert_frame("scorecard.kpi_scores", pd.concat(kpi_frames, ignore_index=True))
        warehouse.insert_frame(
            "scorecard.entity_scores", pd.concat(entity_frames, ignore_index=True)
        )
    return published
