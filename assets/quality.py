"""Anomaly and freshness checks as Dagster asset checks, shown on their assets in the UI.

Every check is declared blocking, so the assets downstream (dbt, then the snapshot) wait for it
in the same run and the snapshot's gate reads its recorded verdict. Whether a failure actually
blocks is the policy's: a warning is emitted with WARN severity, which Dagster does not block on."""

from collections.abc import Iterator
from datetime import UTC, datetime

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    asset_check,
    multi_asset_check,
)

from assets.check_results import check_result
from assets.partitions import run_months
from assets.resources import WarehouseResource
from pipelines.extract.contract import load_contract
from pipelines.quality.anomalies import (
    FRESHNESS_CHECK,
    KPI_MOVEMENT_CHECK,
    VOLUME_CHECK,
    VOLUME_MEASURES,
    freshness_verdict,
    kpi_movement_verdict,
    volume_verdict,
)
from pipelines.quality.check_results import CheckVerdict, record_verdicts
from pipelines.quality.policy import load_quality_policy
from pipelines.warehouse.lock import WAREHOUSE_POOL


def _raw_key(table: str) -> AssetKey:
    return AssetKey(["raw", table])


RAW_TREND_SPECS = [
    AssetCheckSpec(
        VOLUME_CHECK,
        asset=_raw_key(table),
        blocking=True,
        description=f"{measure.name} per period within the policy factor of its trailing mean",
    )
    for table, measure in VOLUME_MEASURES.items()
] + [
    AssetCheckSpec(
        FRESHNESS_CHECK,
        asset=_raw_key(table),
        blocking=True,
        description="the open month's newest row at most the policy's max_lag_days old",
    )
    for table in load_quality_policy().freshness.tables
]


def _results(verdicts: list[CheckVerdict]) -> list[AssetCheckResult]:
    return [check_result(AssetKey(verdict.asset.split(".")), verdict) for verdict in verdicts]


@multi_asset_check(
    specs=RAW_TREND_SPECS,
    name="raw_trend_checks",
    pool=WAREHOUSE_POOL,
    description="Volume anomalies and freshness of the landed raw tables (config/quality.yaml).",
)
def raw_trend_checks(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[AssetCheckResult]:
    months, policy, contract = run_months(context), load_quality_policy(), load_contract()
    now = datetime.now(UTC)
    with warehouse.open() as wh:
        verdicts = [
            volume_verdict(wh, contract.table(table), months, policy) for table in VOLUME_MEASURES
        ] + [
            freshness_verdict(wh, contract.table(table), months, now, policy)
            for table in policy.freshness.tables
        ]
        record_verdicts(wh, context.run.run_id, months[0], months[-1], verdicts)
    yield from _results(verdicts)


@asset_check(
    asset=AssetKey(["marts", "fct_kpi"]),
    name=KPI_MOVEMENT_CHECK,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Company KPIs within the policy factor of their trailing mean.",
)
def kpi_movement_check(
    context: AssetCheckExecutionContext, warehouse: WarehouseResource
) -> AssetCheckResult:
    months, policy = run_months(context), load_quality_policy()
    with warehouse.open() as wh:
        verdict = kpi_movement_verdict(wh, months, policy)
        record_verdicts(wh, context.run.run_id, months[0], months[-1], [verdict])
    return check_result(AssetKey(["marts", "fct_kpi"]), verdict)


quality_checks = [raw_trend_checks, kpi_movement_check]
