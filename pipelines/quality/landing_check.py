"""`scorecard validate`: check a landing against the contract and the raw suites before a run.

A run finds one gap at a time, minutes in; this finds every problem of every file at once, in
seconds, without dbt, Dagster or great-expectations. The files are landed by the real landing
code (pipelines/extract/landing.py) into a throwaway in-memory DuckDB, then checked as a run
checks them: the suites' row rules and key uniqueness (pipelines/quality/sql_suite.py), foreign
keys (pipelines/quality/referential.py), the quarantine threshold of config/quality.yaml, and
months without a file. GX's shape check is left out: landing already refuses a file whose
columns are off-contract, and types are parsed at landing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from pipelines.exit_codes import ExitCode
from pipelines.extract.contract import Table, load_contract
from pipelines.extract.files import LandingError, months_in_landing
from pipelines.extract.landing import (
    CheckedFile,
    LandedBatch,
    LandingRules,
    read_file,
    write_batch,
)
from pipelines.extract.sources import FILES, FilesSource, Source, extract
from pipelines.extract.sources.errors import SourceUnavailable
from pipelines.periods import month_label, months_between
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.outcomes import SAMPLE_SIZE
from pipelines.quality.policy import (
    QUARANTINE_CHECK,
    REFERENTIAL_CHECK,
    ROW_TREND_CHECK,
    SUITE_CHECK,
    QualityPolicy,
)
from pipelines.quality.referential import check_foreign_keys
from pipelines.quality.sql_suite import evaluate_rules, evaluate_unique_key, row_rules
from pipelines.quality.suites import load_suites
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout

READABLE_CHECK = "readable_file"  # the file reads and has the contract's columns
READ_THREADS = 2  # files read at once (the machines this runs on have two cores or more)


class Level(StrEnum):
    """How bad a finding is: a file a run could not read, a check that would block, a warning."""

    UNREADABLE = "unreadable"
    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    table: str
    month: date | None
    file: str | None
    check: str
    column: str | None
    rule: str
    count: int
    level: Level
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LandingReport:
    findings: list[Finding]
    files: int
    rows: int
    not_provided: list[str]

    @property
    def exit_code(self) -> ExitCode:
        levels = {finding.level for finding in self.findings}
        if Level.UNREADABLE in levels:
            return ExitCode.BAD_INPUT
        return ExitCode.CHECK_FAILED if Level.BLOCKING in levels else ExitCode.PUBLISHED

    def lines(self) -> Iterator[str]:
        """The report for people: findings grouped by table and month, then what is missing."""
        counts = {level: sum(f.level is level for f in self.findings) for level in Level}
        yield (
            f"{self.files} files, {self.rows:,} rows checked: {counts[Level.UNREADABLE]} "
            f"unreadable, {counts[Level.BLOCKING]} blocking, {counts[Level.WARNING]} warnings"
        )
        table = None
        for finding in sorted(self.findings, key=_order):
            if finding.table != table:
                table = finding.table
                yield f"{table}:"
            month = month_label(finding.month) if finding.month else "all months"
            where = f"{month} {finding.file}" if finding.file else month
            column = f" {finding.column}:" if finding.column else ""
            yield f"  [{finding.level}] {where}: {finding.check}{column} {finding.rule}"
            for row in finding.rows[:SAMPLE_SIZE]:
                yield "      " + ", ".join(f"{k}={v}" for k, v in row.items())
        if self.not_provided:
            yield (
                "Not provided (no file in the landing, source not in use; KPIs needing them are "
                f"NULL): {', '.join(self.not_provided)}"
            )


def _order(finding: Finding) -> tuple[str, date, str, str]:
    return (finding.table, finding.month or date.min, finding.check, finding.column or "")


def check_landing(
    landing: str,
    policy: QualityPolicy,
    rules: LandingRules,
    months: tuple[date, date] | None = None,
    memory_limit: str = "2GB",
    sources: dict[str, Source] | None = None,
) -> LandingReport:
    """Land every contract table's files of the landing (or of `months`, first and last) into a
    throwaway in-memory DuckDB and report every problem a run's landing and raw checks would
    find. A table from a database or API (`sources`) is read for `months`, else for the
    months the landing's files cover."""
    contract = load_contract()
    sources = {name: s for name, s in (sources or {}).items() if not isinstance(s, FilesSource)}
    in_landing = {
        name: [] if name in sources else months_in_landing(landing, name)
        for name in contract.tables
    }
    file_months = sorted({m for ms in in_landing.values() for m in ms})
    span = months or ((file_months[0], file_months[-1]) if file_months else None)
    for name in sources:
        in_landing[name] = months_between(*span) if span else []
    found = {name: [m for m in ms if _within(m, months)] for name, ms in in_landing.items()}
    # Orphans are judged only when the parents' history is complete: checked from the landing's
    # first month (a range starting later lacks the parents landed before it).
    first_month = min((ms[0] for ms in in_landing.values() if ms), default=None)
    every_month = sorted({m for ms in found.values() for m in ms})
    last_month = months[1] if months else (every_month[-1] if every_month else None)
    findings: list[Finding] = []
    landed: dict[str, list[LandedBatch]] = {name: [] for name in found}
    with DuckDBWarehouse(Path(":memory:"), memory_limit) as wh:
        ensure_layout(wh)
        files = [(contract.table(name), m) for name, ms in found.items() for m in ms]
        # Every file first (children need parents): read side by side, written one at a time.
        for checked in _read_files(wh, landing, files, rules, sources):
            if isinstance(checked, Finding):
                findings.append(checked)
            else:
                landed[checked.batch.table].append(write_batch(wh, checked))
        for name, table_batches in landed.items():
            table = contract.table(name)
            findings += [f for b in table_batches for f in _quarantine(wh, table, b, policy)]
            findings += _checks(wh, table, table_batches, policy, rules, first_month)
            findings += _months_without_file(name, found[name], last_month)
    batches = [batch for table_batches in landed.values() for batch in table_batches]
    return LandingReport(
        findings=findings,
        files=len(batches) + sum(f.level is Level.UNREADABLE for f in findings),
        rows=sum(b.rows_read for b in batches),
        not_provided=[name for name, ms in found.items() if not ms],
    )


def _within(month: date, months: tuple[date, date] | None) -> bool:
    return months is None or months[0] <= month <= months[1]


def _read_files(
    wh: Warehouse,
    landing: str,
    files: list[tuple[Table, date]],
    rules: LandingRules,
    sources: dict[str, Source],
) -> Iterator[CheckedFile | Finding]:
    """Each (table, month) file read and checked, in order, on READ_THREADS threads with a
    file reader of the warehouse each (DuckDB releases the GIL, so two cores read two files at
    once); a file a run could not read is a finding."""
    local = threading.local()
    # Opened here: the warehouse connection is not to be used by two threads at once.
    readers = [wh.file_reader() for _ in range(READ_THREADS)]
    unused = list(readers)

    def read(table: Table, month: date) -> CheckedFile | Finding:
        if not hasattr(local, "reader"):
            local.reader = unused.pop()
        source = sources.get(table.name, FILES)
        return _read(local.reader, landing, table, month, rules, source)

    try:
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            yield from pool.map(read, *zip(*files, strict=True)) if files else iter(())
    finally:
        for reader in readers:
            reader.close()


def _read(
    reader: duckdb.DuckDBPyConnection,
    landing: str,
    table: Table,
    month: date,
    rules: LandingRules,
    source: Source,
) -> CheckedFile | Finding:
    file = None
    try:
        with extract(source, landing, table, month) as file:
            if file is None:  # gone since the landing was listed
                raise LandingError(f"no file for {table.name} in {month_label(month)}")
            return read_file(reader, table, file, rules)
    except (LandingError, SourceUnavailable) as error:
        url = file.url if file else None
        message = str(error).removeprefix(f"{url}: ") if url else str(error)
        return Finding(
            table.name, month, _short(url), READABLE_CHECK, None, message, 1, Level.UNREADABLE
        )


def _short(url: str | None) -> str | None:
    """`orders/2025-03.csv`: the file's place in the landing, which a person recognises."""
    return "/".join(url.split("/")[-2:]) if url else None


def _level(policy: QualityPolicy, check: str) -> Level:
    return Level(policy.severity_of(check).value)


def _quarantine(
    wh: Warehouse, table: Table, batch: LandedBatch, policy: QualityPolicy
) -> list[Finding]:
    """A file's quarantined rows: blocking over the threshold, else a warning."""
    if not batch.rows_quarantined:
        return []
    threshold = policy.quarantine.max_share_of(table.name)
    over = batch.quarantined_share > threshold
    rule = (
        f"{batch.rows_quarantined:,} of {batch.rows_read:,} rows quarantined "
        f"({batch.quarantined_share:.2%}), {'over' if over else 'within'} the allowed "
        f"{threshold:.2%}"
    )
    level = _level(policy, QUARANTINE_CHECK) if over else Level.WARNING
    return [
        Finding(
            table.name,
            batch.period,
            _short(batch.source),
            QUARANTINE_CHECK,
            None,
            rule,
            batch.rows_quarantined,
            level,
            _quarantined_rows(wh, batch.batch_id),
        )
    ]


def _checks(
    wh: Warehouse,
    table: Table,
    batches: list[LandedBatch],
    policy: QualityPolicy,
    rules: LandingRules,
    first_month: date | None,
) -> list[Finding]:
    """The suite's row rules, key uniqueness and foreign keys, on all of the table's files at
    once; only a table that fails is checked again file by file, to say which month."""
    if not batches or not _check_batches(wh, table, batches, policy, rules, first_month):
        return []
    return [
        finding
        for batch in batches
        for finding in _check_batches(wh, table, [batch], policy, rules, first_month)
    ]


def _check_batches(
    wh: Warehouse,
    table: Table,
    batches: list[LandedBatch],
    policy: QualityPolicy,
    rules: LandingRules,
    first_month: date | None,
) -> list[Finding]:
    partitions = [LandedPartition(b.batch_id, b.period) for b in batches]
    month, file = batches[0].period, _short(batches[0].source)
    suite = load_suites().of(table.name)
    table_rules = row_rules(
        table, suite, channels=rules.channels, currencies=rules.currencies, now=rules.now
    )
    rows_by_batch, outcomes = evaluate_rules(wh, table, partitions, table_rules)
    outcomes.append(evaluate_unique_key(wh, table, partitions, sum(rows_by_batch.values())))
    findings = [
        Finding(
            table.name,
            month,
            file,
            SUITE_CHECK,
            o.column,
            f"{o.expectation}: {o.observed}",
            o.offending or 0,
            _level(policy, SUITE_CHECK),
            _without_batch(o.sample),
        )
        for o in outcomes
        if not o.success
    ]
    for key in check_foreign_keys(wh, table, suite.foreign_keys, partitions):
        if key.orphans:
            judged = first_month is not None and key.judged(first_month)
            findings.append(
                Finding(
                    table.name,
                    month,
                    file,
                    REFERENTIAL_CHECK,
                    key.foreign_key.column,
                    key.describe(first_month or month),
                    key.orphans,
                    _level(policy, REFERENTIAL_CHECK) if judged else Level.WARNING,
                    _without_batch(key.sample),
                )
            )
    return findings


def _quarantined_rows(wh: Warehouse, batch_id: str) -> list[dict[str, Any]]:
    frame = wh.query(
        "select source_row as row, reason from quality.quarantine where batch_id = ? "
        "order by source_row limit ?",
        [batch_id, SAMPLE_SIZE],
    )
    return frame.to_dict("records")


def _without_batch(sample: list[Any]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "_batch_id"} for row in sample]


def _months_without_file(table: str, months: list[date], last: date | None) -> list[Finding]:
    """Months after a table's first file without one: warned, as the row_count_trend check
    does in a run (a gap in a source in use, never a block)."""
    if not months or last is None:
        return []
    span = months_between(months[0], last)
    return [
        Finding(table, m, None, ROW_TREND_CHECK, None, "no file for the month", 0, Level.WARNING)
        for m in span
        if m not in months
    ]
