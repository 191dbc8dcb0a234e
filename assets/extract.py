"""Extraction: one monthly-partitioned asset per contract table, landing its files into `raw`.

Each asset carries two blocking checks beside it: the table's great-expectations suite on the
rows just landed, and the share of rows quarantined against the configured threshold."""

from datetime import UTC, date, datetime

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
from pipelines.quality.check_results import CheckVerdict, check_result, record_verdicts
from pipelines.quality.policy import QualityPolicy, load_quality_policy
from pipelines.quality.raw_suite import validate_frame
from pipelines.resources import WarehouseResource
from pipelines.settings import get_settings
from pipelines.warehouse import Warehouse
from pipelines.warehouse.schema import ensure_layout

SUITE_CHECK = "contract_suite"
QUARANTINE_CHECK = "quarantine_share"
QUARANTINE_SAMPLE_ROWS = 5  # quarantined rows shown with a quarantine_share verdict


def build_raw_asset(table: Table) -> AssetsDefinition:
    key = AssetKey(["raw", table.name])

    @asset(
        key=key,
        group_name="extract",
        description=f"Contract table `{table.name}` landed append-only with batch metadata.",
        partitions_def=monthly_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        retry_policy=RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL),
        check_specs=[
            AssetCheckSpec(
                SUITE_CHECK,
                asset=key,
                blocking=True,
                description="great-expectations suite derived from the contract",
            ),
            AssetCheckSpec(
                QUARANTINE_CHECK,
                asset=key,
                blocking=True,
                description="share of rows quarantined within the policy threshold",
            ),
        ],
        kinds={"python", "duckdb"},
    )
    def raw_table(
        context: AssetExecutionContext, warehouse: WarehouseResource
    ) -> MaterializeResult:
        months = context_months(context)
        settings = get_settings()
        config = load_pipeline_config()
        policy = load_quality_policy()
        rules = LandingRules(
            channels=list(config.channels),
            currencies=[settings.currency],
            now=datetime.now(UTC),
        )
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
            verdicts = [
                _suite_verdict(wh, table, batches, config.channels, settings.currency, policy),
                _quarantine_verdict(
                    wh, table, batches, policy.quarantine.max_share_of(table.name), policy
                ),
            ]
            record_verdicts(wh, context.run.run_id, months[0], months[-1], verdicts)
        return MaterializeResult(
            metadata={
                "rows_landed": sum(b.rows_landed for b in batches),
                "rows_quarantined": sum(b.rows_quarantined for b in batches),
                "files": [b.source for b in batches if b.source],
                "batch_ids": [b.batch_id for b in batches if b.batch_id],
            },
            check_results=[check_result(key, verdict) for verdict in verdicts],
        )

    return raw_table


def _suite_verdict(
    wh: Warehouse,
    table: Table,
    batches: list[LandedBatch],
    channels: object,
    currency: str,
    policy: QualityPolicy,
) -> CheckVerdict:
    batch_ids = [b.batch_id for b in batches if b.batch_id]
    placeholders = ", ".join("?" for _ in batch_ids) or "null"
    frame = wh.query(
        f"select * from raw.{table.name} where _batch_id in ({placeholders})", batch_ids
    )
    result = validate_frame(table, frame, channels=list(channels), currencies=[currency])
    return CheckVerdict(
        asset=f"raw.{table.name}",
        check_name=SUITE_CHECK,
        severity=policy.severity_of(SUITE_CHECK),
        passed=result.success,
        observed=result.summary(),
        details={
            "failed": [
                o.expectation + (f"({o.column})" if o.column else "")
                for o in result.outcomes
                if not o.success
            ]
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
            "sample": _quarantine_sample(wh, [b.batch_id for b in batches if b.batch_id]),
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
