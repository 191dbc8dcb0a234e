"""Extraction: one monthly-partitioned asset per contract table, landing its files into `raw`.

Each asset carries its checks beside it, with the severity of config/quality.yaml: the table's
suite on the rows just landed, the share of rows quarantined against the configured threshold,
the landed rows against the trailing months' and, for a table with foreign keys
(pipelines/quality/suites.yaml), its rows whose parent was never landed. A child table depends
on its parent tables, so a run lands the parents first."""

from datetime import date

from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Backoff,
    Failure,
    MaterializeResult,
    RetryPolicy,
    asset,
)

from pipelines.config import load_pipeline_config
from pipelines.extract.contract import Table, load_contract
from pipelines.extract.files import LandingError
from pipelines.extract.landing import LandedBatch, LandingRules, land_table
from pipelines.failures import BAD_INPUT, FAILURE_KIND
from pipelines.partitions import context_months, monthly_partitions
from pipelines.periods import month_label, parse_month
from pipelines.quality.check_results import CheckVerdict, Severity, check_result, record_verdicts
from pipelines.quality.landed_rows import LandedPartition
from pipelines.quality.policy import (
    QUARANTINE_CHECK,
    REFERENTIAL_CHECK,
    ROW_TREND_CHECK,
    SUITE_CHECK,
    QualityPolicy,
    load_quality_policy,
)
from pipelines.quality.raw_suite import validate_landed
from pipelines.quality.referential import check_foreign_keys
from pipelines.quality.row_trend import months_without_file, row_count_trends
from pipelines.quality.suites import load_suites
from pipelines.resources import WarehouseResource
from pipelines.settings import get_settings
from pipelines.warehouse import Warehouse
from pipelines.warehouse.lock import WAREHOUSE_POOL
from pipelines.warehouse.schema import ensure_layout

QUARANTINE_SAMPLE_ROWS = 5  # quarantined rows shown with a quarantine_share verdict


def _check_spec(key: AssetKey, name: str, description: str) -> AssetCheckSpec:
    blocking = load_quality_policy().severity_of(name) is Severity.BLOCKING
    return AssetCheckSpec(name, asset=key, blocking=blocking, description=description)


def build_raw_asset(table: Table) -> AssetsDefinition:
    key = AssetKey(["raw", table.name])
    foreign_keys = load_suites().of(table.name).foreign_keys
    parents = sorted({fk.parent_table for fk in foreign_keys} - {table.name})
    check_specs = [
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
        check_specs.append(
            _check_spec(
                key,
                REFERENTIAL_CHECK,
                "every " + ", ".join(fk.label for fk in foreign_keys) + " found in a landed batch",
            )
        )

    @asset(
        key=key,
        group_name="extract",
        description=f"Contract table `{table.name}` landed append-only with batch metadata.",
        partitions_def=monthly_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        retry_policy=RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL),
        deps=[AssetKey(["raw", parent]) for parent in parents],
        check_specs=check_specs,
        pool=WAREHOUSE_POOL,
        kinds={"python", "duckdb"},
    )
    def raw_table(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        months = context_months(context)
        settings = get_settings()
        config = load_pipeline_config()
        policy = load_quality_policy()
        rules = LandingRules.configured(config, settings.currency)
        with warehouse.open() as wh:
            ensure_layout(wh)
            try:
                batches = land_table(wh, settings.landing, table, months, rules)
            except LandingError as error:
                raise Failure(
                    description=str(error),
                    metadata={FAILURE_KIND: BAD_INPUT},
                    allow_retries=False,
                ) from None
            partitions = [LandedPartition(b.batch_id, b.period) for b in batches]
            verdicts = [
                _suite_verdict(wh, table, partitions, rules, policy),
                _quarantine_verdict(
                    wh, table, batches, policy.quarantine.max_share_of(table.name), policy
                ),
                _row_trend_verdict(wh, table, partitions, months, policy),
            ]
            if foreign_keys:
                first_period = parse_month(config.first_period)
                verdicts.append(_referential_verdict(wh, table, partitions, first_period, policy))
            record_verdicts(wh, context.run.run_id, months[0], months[-1], verdicts)
        return MaterializeResult(
            metadata={
                "rows_landed": sum(b.rows_landed for b in batches),
                "rows_quarantined": sum(b.rows_quarantined for b in batches),
                "files": [b.source for b in batches if b.source],
                "batch_ids": [b.batch_id for b in batches],
            },
            check_results=[check_result(key, verdict) for verdict in verdicts],
        )

    return raw_table


def _suite_verdict(
    wh: Warehouse,
    table: Table,
    partitions: list[LandedPartition],
    rules: LandingRules,
    policy: QualityPolicy,
) -> CheckVerdict:
    result = validate_landed(
        wh, table, partitions, channels=rules.channels, currencies=rules.currencies, now=rules.now
    )
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


raw_assets = [build_raw_asset(table) for table in load_contract().tables.values()]
