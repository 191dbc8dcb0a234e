"""Sensors: new or changed landing files trigger a run of the months they touch; a failed run
launched by the daemon raises an alert.

Landing rule: a file `<landing>/<table>/<YYYY-MM>.csv` (or `.parquet`), for a table of the input
contract, belongs to the month in its name. Any other file is ignored, and so is a file whose
month is not a partition yet (before `first_period`, or after the open month) until it is one.
The cursor keeps, per file, its size, modification time and a SHA-256 of its content: the content
is hashed again only when size or time changed, and a file counts as changed only when its
content did, so a file landed twice unchanged is not processed twice."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date

import fsspec
from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    run_failure_sensor,
    sensor,
)

from assets.dagster_internals import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from assets.jobs import scorecard_job
from assets.partitions import monthly_partitions, partition_key
from assets.run_alerts import alert_for_run
from pipelines.alerts import send_alert
from pipelines.extract.contract import load_contract
from pipelines.extract.files import LANDING_FILE_NAME
from pipelines.periods import month_label
from pipelines.settings import get_settings


@dataclass(frozen=True)
class LandingFileState:
    """What the cursor remembers of one landing file."""

    size: int
    modified: str
    sha256: str


@dataclass(frozen=True)
class LandedFile:
    path: str
    month: date
    state: LandingFileState


def scan_landing(
    landing: str, tables: list[str], seen: dict[str, LandingFileState]
) -> list[LandedFile]:
    """Every landing file that follows the naming rule, with its state; content is hashed only
    for files whose size or modification time differ from `seen`."""
    fs, root = fsspec.core.url_to_fs(landing)
    files = []
    for table in tables:
        folder = f"{root.rstrip('/')}/{table}"
        if not fs.isdir(folder):
            continue
        for info in fs.ls(folder, detail=True):
            match = LANDING_FILE_NAME.match(info["name"].rsplit("/", 1)[-1])
            if info["type"] != "file" or match is None:
                continue
            month = date(int(match.group(1)), int(match.group(2)), 1)
            size = int(info["size"])
            modified = str(info.get("mtime") or info.get("LastModified") or "")
            known = seen.get(info["name"])
            if known and (known.size, known.modified) == (size, modified) and modified:
                state = known
            else:
                content = hashlib.sha256(fs.cat_file(info["name"])).hexdigest()
                state = LandingFileState(size, modified, content)
            files.append(LandedFile(info["name"], month, state))
    return files


def run_request_for(changed: list[LandedFile], seen: dict[str, LandingFileState]) -> RunRequest:
    """One run over the touched months. The run key is derived from each changed file's content
    before and after, so the same change is run once however many ticks see it, and a file
    changed back is run again."""
    changes = sorted(
        f"{f.path}:{seen[f.path].sha256 if f.path in seen else ''}->{f.state.sha256}"
        for f in changed
    )
    return months_run_request("landing", changes, [f.month for f in changed])


def months_run_request(prefix: str, changes: list[str], months: list[date]) -> RunRequest:
    """One run over `months`: a partition, or a range under the single-run backfill policy,
    keyed by a digest of `changes`."""
    digest = hashlib.sha256("\n".join(sorted(changes)).encode()).hexdigest()[:16]
    ordered = sorted(set(months))
    first, last = ordered[0], ordered[-1]
    if first == last:
        return RunRequest(run_key=f"{prefix}-{digest}", partition_key=partition_key(first))
    return RunRequest(
        run_key=f"{prefix}-{digest}",
        tags={
            ASSET_PARTITION_RANGE_START_TAG: partition_key(first),
            ASSET_PARTITION_RANGE_END_TAG: partition_key(last),
        },
    )


@sensor(job=scorecard_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.STOPPED)
def landing_files(context: SensorEvaluationContext) -> SensorResult:
    """Run the months whose landing files are new or changed since the last tick."""
    seen = {
        path: LandingFileState(*state) for path, state in json.loads(context.cursor or "{}").items()
    }
    partitions = set(monthly_partitions.get_partition_keys())
    files = scan_landing(get_settings().landing, list(load_contract().tables), seen)
    waiting = [f for f in files if partition_key(f.month) not in partitions]
    for file in waiting:
        context.log.info(f"{file.path}: {month_label(file.month)} is not a partition yet; waiting")
    current = [f for f in files if partition_key(f.month) in partitions]
    changed = [f for f in current if f.path not in seen or seen[f.path].sha256 != f.state.sha256]
    cursor = json.dumps(
        {f.path: [f.state.size, f.state.modified, f.state.sha256] for f in current}, sort_keys=True
    )
    if not changed:
        return SensorResult(skip_reason="no new or changed landing files", cursor=cursor)
    request = run_request_for(changed, seen)
    context.log.info(f"{len(changed)} new or changed file(s): run {request.run_key}")
    return SensorResult(run_requests=[request], cursor=cursor)


@run_failure_sensor(name="alert_on_run_failure", default_status=DefaultSensorStatus.RUNNING)
def alert_on_run_failure(context: RunFailureSensorContext) -> None:
    """Alert for every failed run of this code location launched by the daemon (schedules,
    sensors, the UI); CLI runs, which run in process, alert from the runner instead."""
    send_alert(alert_for_run(context.instance, context.dagster_run.run_id, launched_by="daemon"))
