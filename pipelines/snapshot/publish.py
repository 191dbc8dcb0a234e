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
from pipelines.failpoints import failpoint
from pipelines.forecast.forecasts import company_forecasts
from pipelines.periods import month_label
from pipelines.quality.check_results import run_verdicts
from pipelines.scoring import engine
from pipelines.scoring.engine import score_period
from pipelines.scoring.scorecard import Scorecard, ScorecardVersion, scorecard_hash
from pipelines.snapshot.inputs import read_inputs, source_batches, source_watermark
from pipelines.warehouse import Warehouse
from pipelines.warehouse.schema import ensure_layout

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
    "peer_group",
    "total_score",
    "grade",
    "grade_label",
    "rank",
    "percentile",
    "achievement_basis",
    "bonus_multiplier",
    "rolled_up_score",
]
ALERT_COLUMNS = ["snapshot_id", *engine.ALERT_COLUMNS]
SOURCE_COLUMNS = [
    "snapshot_id", "period", "table_name", "batch_id", "source", "loaded_at", "source_watermark",
]  # fmt: skip


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


def _forecasts(warehouse: Warehouse, month: date, kpi_scores: pd.DataFrame) -> pd.DataFrame:
    """The open month's company forecasts, against the targets the month was scored on."""
    company = kpi_scores[kpi_scores["entity_type"] == "company"]
    targets = {row.kpi: float(row.target) for row in company.itertuples() if pd.notna(row.target)}
    return company_forecasts(warehouse, month, targets)


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
    versions = {month: scorecard.version_for(month) for month in months}
    return _publish(warehouse, months, versions, run_id, dict.fromkeys(months, summary))


def rescore_snapshots(
    warehouse: Warehouse,
    months: list[date],
    scorecard: Scorecard,
    run_id: str,
    version_name: str | None = None,
) -> list[PublishedSnapshot]:
    """Re-score months from the marts already in the warehouse (no extraction, no dbt) under the
    named version (default: each month's effective one), as new snapshots.

    Same gate as a run: every month's marts must come from a run that passed every blocking
    check and published it; the snapshot's checks_summary names that run."""
    ensure_layout(warehouse)  # a warehouse no run has touched yet: every gate is closed
    gates = rescore_gates(_gate_runs(warehouse), _published_runs(warehouse), months)
    closed = [f"{month_label(m)}: {gate}" for m, gate in gates.items() if not gate.passed]
    if closed:
        raise GateClosedError("cannot rescore, nothing published: " + "; ".join(closed))
    summaries = {}
    for month, gate in gates.items():
        _, summary = checks_summary(run_verdicts(warehouse, gate.run_id))
        summaries[month] = json.dumps(
            {**json.loads(summary), "rescore_of_run": gate.run_id}, sort_keys=True
        )
    versions = {
        month: scorecard.version_named(version_name)
        if version_name
        else scorecard.version_for(month)
        for month in months
    }
    return _publish(warehouse, months, versions, run_id, summaries)


@dataclass(frozen=True)
class RescoreGate:
    run_id: str | None
    passed: bool
    reason: str = ""

    def __str__(self) -> str:
        return self.reason


def rescore_gates(
    runs: pd.DataFrame, published: pd.DataFrame, months: list[date]
) -> dict[date, RescoreGate]:
    """Per month, whether its marts may be re-scored: the latest run that checked the month
    (`runs`: run_id, period_from, period_to, checked_at, passed) passed every blocking check and
    published a snapshot of it (`published`: run_id, period)."""
    gates = {}
    done = set(zip(published["run_id"], published["period"], strict=True))
    for month in months:
        covering = runs[(runs["period_from"] <= month) & (runs["period_to"] >= month)]
        if covering.empty:
            gates[month] = RescoreGate(None, False, "no run has built this period; run it first")
            continue
        latest = covering.sort_values(["checked_at", "run_id"]).iloc[-1]
        if not latest["passed"]:
            reason = f"its latest run {latest['run_id']} failed a blocking check; run it again"
        elif (latest["run_id"], month) not in done:
            reason = f"its latest run {latest['run_id']} published no snapshot of it"
        else:
            gates[month] = RescoreGate(latest["run_id"], True)
            continue
        gates[month] = RescoreGate(latest["run_id"], False, reason)
    return gates


def _gate_runs(warehouse: Warehouse) -> pd.DataFrame:
    runs = warehouse.query(
        """
        select
            run_id,
            period_from,
            period_to,
            max(checked_at) as checked_at,
            bool_and(passed or severity <> 'blocking') as passed
        from quality.check_results
        group by run_id, period_from, period_to
        """
    )
    for column in ("period_from", "period_to"):
        runs[column] = pd.to_datetime(runs[column]).dt.date
    return runs


def _published_runs(warehouse: Warehouse) -> pd.DataFrame:
    published = warehouse.query("select distinct run_id, period from scorecard.snapshots")
    published["period"] = pd.to_datetime(published["period"]).dt.date
    return published


def _publish(
    warehouse: Warehouse,
    months: list[date],
    versions: dict[date, ScorecardVersion],
    run_id: str,
    summaries: dict[date, str],
) -> list[PublishedSnapshot]:
    """Score every month under its version and publish all snapshots in one transaction."""
    inputs = read_inputs(warehouse, months[0], months[-1])
    batches = source_batches(warehouse, months[0], months[-1])
    batches["period"] = pd.to_datetime(batches["period"]).dt.date
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    snapshots, kpi_frames, entity_frames, alert_frames, published = [], [], [], [], []
    source_frames, forecast_frames = [], []
    for month in months:
        month_batches = batches[batches["period"] == month]
        version = versions[month]
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
                "source_watermark": source_watermark(month_batches),
                "checks_passed": True,
                "checks_summary": summaries[month],
            }
        )
        kpi_frames.append(scored.kpi_scores.assign(snapshot_id=snapshot_id)[KPI_SCORE_COLUMNS])
        entity_frames.append(
            scored.entity_scores.assign(snapshot_id=snapshot_id)[ENTITY_SCORE_COLUMNS]
        )
        alert_frames.append(scored.alerts.assign(snapshot_id=snapshot_id)[ALERT_COLUMNS])
        source_frames.append(month_batches.assign(snapshot_id=snapshot_id)[SOURCE_COLUMNS])
        if status == "provisional":
            forecast_frames.append(
                _forecasts(warehouse, month, scored.kpi_scores).assign(snapshot_id=snapshot_id)
            )
        failpoint("publish.scoring")
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
        alerts = pd.concat(alert_frames, ignore_index=True)
        if not alerts.empty:
            warehouse.insert_frame("scorecard.alerts", alerts)
        sources = pd.concat(source_frames, ignore_index=True)
        if not sources.empty:
            warehouse.insert_frame("scorecard.snapshot_sources", sources)
        if forecast_frames:
            warehouse.insert_frame(
                "scorecard.kpi_forecasts", pd.concat(forecast_frames, ignore_index=True)
            )
        failpoint("publish.before_commit")
    return published
