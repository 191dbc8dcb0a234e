"""Extraction: one monthly-partitioned asset per contract table, landing its files into `raw`,
all landed by one step (a multi-asset: one start-up and one warehouse connection, not fifteen).

Each asset carries its checks beside it, with the severity of config/quality.yaml: the table's
suite on the rows just landed, the share of rows quarantined against the configured threshold,
the landed rows against the trailing months' and, for a table with foreign keys
(pipelines/quality/suites.yaml), its rows whose parent was never landed. A child table depends
on its parent tables, so the step lands the parents first."""

from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date

import pandas as pd
from dagster import (
    AssetCheckKey,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Backoff,
    Failure,
    MaterializeResult,
    RetryPolicy,
    multi_asset,
)

from assets.check_results import check_result
from assets.partitions import context_months, monthly_partitions
from assets.resources import WarehouseResource
from pipelines.config import load_pipeline_config
from pipelines.extract.contract import Table, load_contract
from pipelines.extract.files import LandingError
from pipelines.extract.landing import LandedBatch, LandingRules, land_table
from pipelines.extract.sources.errors import SourceUnavailable
from pipelines.failures import BAD_INPUT, FAILURE_KIND
from pipelines.periods import month_label, parse_month
from pipelines.quality import shape_worker
from pipelines.quality.check_results import CheckVerdict, record_verdicts
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.outcomes import ExpectationOutcome, SuiteResult
from pipelines.quality.policy import (
    QUARANTINE_CHECK,
    REFERENTIAL_CHECK,
    ROW_TREND_CHECK,
    SUITE_CHECK,
    QualityPolicy,
    Severity,
    load_quality_policy,
)
from pipelines.quality.raw_suite import complete_suite, landed_sample, record_unique_keys
from pipelines.quality.referential import check_foreign_keys
from pipelines.quality.row_trend import months_without_file, row_count_trends
from pipelines.quality.suites import load_suites
from pipelines.settings import get_settings
from pipelines.warehouse import Warehouse
from pipelines.warehouse.lock import WAREHOUSE_POOL
from pipelines.warehouse.schema import ensure_layout

QUARANTINE_SAMPLE_ROWS = 5  # quarantined rows shown with a quarantine_share verdict


def _check_spec(key: AssetKey, name: str, description: str) -> AssetCheckSpec:
    blocking = load_quality_policy().severity_of(name) is Severity.BLOCKING
    return AssetCheckSpec(name, asset=key, blocking=blocking, description=description)


def raw_key(table: Table) -> AssetKey:
    return AssetKey(["raw", table.name])


def _parents(table: Table) -> list[str]:
    foreign_keys = load_suites().of(table.name).foreign_keys
    return sorted({fk.parent_table for fk in foreign_keys} - {table.name})


def _raw_spec(table: Table) -> AssetSpec:
    return AssetSpec(
        key=raw_key(table),
        group_name="extract",
        description=f"Contract table `{table.name}` landed append-only with batch metadata.",
        deps=[AssetKey(["raw", parent]) for parent in _parents(table)],
        kinds={"python", "duckdb"},
    )


def _raw_check_specs(table: Table) -> list[AssetCheckSpec]:
    key = raw_key(table)
    foreign_keys = load_suites().of(table.name).foreign_keys
    specs = [
        _check_spec(
            key,
            SUITE_CHECK,
            "columns and types (great-expectations), keys, value sets, ranges and date windows "
            "(in the warehouse) from the contract and pipelines/quality/suites.yaml",
        ),
        _check_spec(key, QUARANTINE_CHECK, "share of rows quarantined within the policy threshold"),
        _check_spec(key, ROW_TREND_CHECK, "rows within a factor of the trailing months' mean"),
    ]
    if foreign_keys:
        specs.append(
            _check_spec(
                key,
                REFERENTIAL_CHECK,
                "every " + ", ".join(fk.label for fk in foreign_keys) + " found in a landed batch",
            )
        )
    return specs


def landing_order(tables: list[Table]) -> list[Table]:
    """Parents before children: a child's referential check reads its parents' landed rows."""
    ordered: list[Table] = []
    pending = {table.name: table for table in tables}
    while pending:
        ready = [t for t in pending.values() if not set(_parents(t)) & pending.keys()]
        if not ready:
            raise ValueError(f"foreign keys form a cycle among {', '.join(sorted(pending))}")
        for table in ready:
            ordered.append(pending.pop(table.name))
    return ordered


TABLES = landing_order(list(load_contract().tables.values()))


@dataclass
class _Landed:
    """A table's batches landed by this step, their partitions, and the great-expectations
    shape outcomes of their sample on the way from the worker process."""

    batches: list[LandedBatch]
    partitions: list[LandedPartition]
    sample: pd.DataFrame
    shape: Future[list[ExpectationOutcome]] | None


@multi_asset(
    name="raw_tables",
    specs=[_raw_spec(table) for table in TABLES],
    check_specs=[spec for table in TABLES for spec in _raw_check_specs(table)],
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    retry_policy=RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL),
    can_subset=True,
    pool=WAREHOUSE_POOL,
)
def raw_tables(
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[MaterializeResult]:
    """Land every selected table's files for the run's months, parents first, in one step (one
    warehouse connection, one step's start-up), then check each table with its own checks.
    A file that cannot be read fails the step, naming it, after the other tables landed; its
    children (which would be checked against missing parents) are not landed. A database or API
    that did not answer fails it the same way, but as worth a retry (the retry policy)."""
    months = context_months(context)
    settings, config, policy = get_settings(), load_pipeline_config(), load_quality_policy()
    rules = LandingRules.configured(config, settings.currency)
    selected = [table for table in TABLES if raw_key(table) in context.selected_asset_keys]
    landed: dict[str, _Landed] = {}
    errors: dict[str, str] = {}
    unavailable: dict[str, str] = {}  # a database or API that did not answer: worth a retry
    # great-expectations imports in its process while the files land; the worker ends once
    # every answer is in, so its memory is free for the run's SQL.
    with shape_worker.running(), warehouse.open() as wh:
        ensure_layout(wh)
        for table in selected:
            if failed_parents := [p for p in _parents(table) if p in errors or p in unavailable]:
                errors[table.name] = f"not landed: its parent {', '.join(failed_parents)} failed"
                continue
            try:
                batches = land_table(
                    wh, settings.landing, table, months, rules, config.source_of(table.name)
                )
            except LandingError as error:
                errors[table.name] = str(error)
                continue
            except SourceUnavailable as error:
                unavailable[table.name] = str(error)
                continue
            for note in dict.fromkeys(n for b in batches for n in b.notes):
                context.log.warning(note)
            partitions = [LandedPartition(b.batch_id, b.period) for b in batches]
            landed[table.name] = _Landed(batches, partitions, *_shape_later(wh, table, partitions))
        for table in selected:
            if table.name in landed:
                yield _checked(context, wh, table, landed[table.name], months, rules, policy)
    if errors:
        raise Failure(
            description="; ".join(
                f"raw.{name}: {error}" for name, error in {**errors, **unavailable}.items()
            ),
            metadata={FAILURE_KIND: BAD_INPUT},
            allow_retries=False,
        )
    if unavailable:
        raise Failure(description="; ".join(unavailable.values()), allow_retries=True)


def _shape_later(
    wh: Warehouse, table: Table, partitions: list[LandedPartition]
) -> tuple[pd.DataFrame, Future[list[ExpectationOutcome]] | None]:
    """The landed sample, and its shape outcomes to come from the worker process."""
    if not partitions:
        return pd.DataFrame(), None
    sample = landed_sample(wh, table, partitions)
    return sample, shape_worker.validate_shape_later(table, sample)


def _checked(
    context: AssetExecutionContext,
    wh: Warehouse,
    table: Table,
    landed: _Landed,
    months: list[date],
    rules: LandingRules,
    policy: QualityPolicy,
) -> MaterializeResult:
    """The table's materialization with its checks' verdicts (also recorded in the warehouse)."""
    key = raw_key(table)
    partitions = landed.partitions
    shape = shape_worker.shape_outcomes(landed.shape, table, landed.sample) if landed.shape else []
    suite = complete_suite(
        wh,
        table,
        partitions,
        list(landed.sample.columns),
        shape,
        channels=rules.channels,
        currencies=rules.currencies,
        now=rules.now,
    )
    record_unique_keys(wh, suite, partitions)
    verdicts = [
        _suite_verdict(table, suite, policy),
        _quarantine_verdict(
            wh, table, landed.batches, policy.quarantine.max_share_of(table.name), policy
        ),
        _row_trend_verdict(wh, table, partitions, months, policy),
    ]
    if load_suites().of(table.name).foreign_keys:
        first_period = parse_month(load_pipeline_config().first_period)
        verdicts.append(_referential_verdict(wh, table, partitions, first_period, policy))
    record_verdicts(wh, context.run.run_id, months[0], months[-1], verdicts)
    selected_checks = context.selected_asset_check_keys
    return MaterializeResult(
        asset_key=key,
        metadata={
            "rows_landed": sum(b.rows_landed for b in landed.batches),
            "rows_quarantined": sum(b.rows_quarantined for b in landed.batches),
            "files": [b.source for b in landed.batches if b.source],
            "batch_ids": [b.batch_id for b in landed.batches],
            "source_notes": list(dict.fromkeys(n for b in landed.batches for n in b.notes)),
        },
        check_results=[
            check_result(key, verdict)
            for verdict in verdicts
            if AssetCheckKey(key, verdict.check_name) in selected_checks
        ],
    )


def _suite_verdict(table: Table, result: SuiteResult, policy: QualityPolicy) -> CheckVerdict:
    return CheckVerdict(
        asset=f"raw.{table.name}",
        check_name=SUITE_CHECK,
        severity=policy.severity_of(SUITE_CHECK),
        passed=result.success,
        observed=result.summary(),
        details=result.failure_details(),
    )


def _referential_verdict(
    wh: Warehouse,
    table: Table,
    partitions: list[LandedPartition],
    first_period: date,
    policy: QualityPolicy,
) -> CheckVerdict:
    outcomes = check_foreign_keys(wh, table, load_suites().of(table.name).foreign_keys, partitions)
    failed = [o for o in outcomes if o.orphans and o.judged(first_period)]
    return CheckVerdict(
        asset=f"raw.{table.name}",
        check_name=REFERENTIAL_CHECK,
        severity=policy.severity_of(REFERENTIAL_CHECK),
        passed=not failed,
        observed="; ".join(o.describe(first_period) for o in outcomes) or "no file landed",
        threshold="no landed row without a parent in any landed batch",
        details={"orphans": {o.foreign_key.label: o.sample for o in outcomes if o.orphans}},
    )


def _row_trend_verdict(
    wh: Warehouse,
    table: Table,
    partitions: list[LandedPartition],
    months: list[date],
    policy: QualityPolicy,
) -> CheckVerdict:
    trends = policy.trends
    landed = row_count_trends(wh, table, partitions, trends)
    flagged = [m for m in landed if not m.within(trends.row_count_factor)]
    missing = [month_label(m) for m in months_without_file(wh, table, months)]
    shown = [m.describe() for m in flagged or ([] if missing else landed)]
    shown += [f"no file for {month}" for month in missing]
    return CheckVerdict(
        asset=f"raw.{table.name}",
        check_name=ROW_TREND_CHECK,
        severity=policy.severity_of(ROW_TREND_CHECK),
        passed=not (flagged or missing),
        observed=("; ".join(shown) or "no file landed"),
        threshold=(
            f"within mean / {trends.row_count_factor:g} .. mean x {trends.row_count_factor:g} "
            f"of the previous {trends.trailing_periods} months, a file for every month after "
            "the first"
        ),
        details={
            "flagged": [
                {"period": month_label(m.period), "rows": m.rows, "trailing": m.trailing}
                for m in flagged
            ],
            "months_without_file": missing,
        },
    )


def _quarantine_verdict(
    wh: Warehouse,
    table: Table,
    batches: list[LandedBatch],
    threshold: float,
    policy: QualityPolicy,
) -> CheckVerdict:
    """Fails when a month's quarantined share is over the threshold; says which month, how many
    rows and what the allowed share is, with a sample of the quarantined rows and their reasons."""
    over = [b for b in batches if b.quarantined_share > threshold]
    allowed = f"the allowed {threshold:.2%}"
    several = len(batches) > 1
    if over:
        observed = "; ".join(
            _quarantined_figures(b.rows_quarantined, b.rows_read, b.period if several else None)
            + f", more than {allowed}"
            for b in over
        )
    else:
        quarantined = sum(b.rows_quarantined for b in batches)
        read = sum(b.rows_read for b in batches)
        observed = _quarantined_figures(quarantined, read, None) + f", within {allowed}"
    return CheckVerdict(
        asset=f"raw.{table.name}",
        check_name=QUARANTINE_CHECK,
        severity=policy.severity_of(QUARANTINE_CHECK),
        passed=not over,
        observed=observed,
        threshold=f"<= {threshold:.2%} per month",
        details={
            "by_month": {
                f"{b.period:%Y-%m}": {"read": b.rows_read, "quarantined": b.rows_quarantined}
                for b in batches
            },
            "sample": _quarantine_sample(wh, [b.batch_id for b in batches]),
        },
    )


def _quarantined_figures(quarantined: int, read: int, month: date | None) -> str:
    share = quarantined / read if read else 0.0
    figures = f"{quarantined} of {read} rows were quarantined ({share:.1%})"
    return f"in {month:%Y-%m}, {figures}" if month else figures


def _quarantine_sample(wh: Warehouse, batch_ids: list[str]) -> list[dict[str, object]]:
    """The first quarantined rows of the batches: where they came from and why."""
    if not batch_ids:
        return []
    placeholders = ", ".join("?" for _ in batch_ids)
    sample = wh.query(
        "select source, source_row, reason from quality.quarantine "
        f"where batch_id in ({placeholders}) order by period, source_row limit ?",
        [*batch_ids, QUARANTINE_SAMPLE_ROWS],
    )
    return sample.to_dict("records")
