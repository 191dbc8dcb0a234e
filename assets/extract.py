"""Extraction: one monthly-partitioned asset per contract table, landing its files into `raw`.

Each asset carries two blocking checks beside it: the table's great-expectations suite on the
rows just landed, and the share of rows quarantined against the configured threshold."""

from datetime import UTC, datetime

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
from pipelines.warehouse.lock import WAREHOUSE_POOL
from pipelines.warehouse.schema import ensure_layout

SUITE_CHECK = "contract_suite"
QUARANTINE_CHECK = "quarantine_share"


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
                    table, batches, policy.quarantine.max_share_of(table.name), policy
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
    table: Table, batches: list[LandedBatch], threshold: float, policy: QualityPolicy
) -> CheckVerdict:
    read = sum(b.rows_read for b in batches)
    quarantined = sum(b.rows_quarantined for b in batches)
    share = quarantined / read if read else 0.0
    worst = max(batches, key=lambda b: b.quarantined_share)
    return CheckVerdict(
        asset=f"raw.{table.name}",
        check_name=QUARANTINE_CHECK,
        severity=policy.severity_of(QUARANTINE_CHECK),
        passed=all(b.quarantined_share <= threshold for b in batches),
        observed=f"{quarantined} of {read} rows quarantined ({share:.2%}); worst month "
        f"{worst.period:%Y-%m} at {worst.quarantined_share:.2%}",
        threshold=f"<= {threshold:.2%} per month",
    )


raw_assets = [build_raw_asset(table) for table in load_contract().tables.values()]
