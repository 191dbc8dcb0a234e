"""dbt models as Dagster assets: staging -> intermediate -> marts, with dbt tests as asset checks.

Two asset groups, as in Dagster's own platform: the incremental marts are monthly partitioned
(each run rebuilds exactly its months), every other model (staging views, intermediate working
tables, dims) is unpartitioned and rebuilt for the months of the run it executes in. Keeping the
partitioned set small keeps the per-partition event bookkeeping of long backfills small too.
The months reach dbt as `--vars`. Test verdicts are also recorded in `quality.check_results`
once dbt has released the warehouse: at the severity of the test's dbt config (`severity: warn`
only warns) and, for a failed test, with the first of the failing rows dbt stored."""

import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    Failure,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.config import load_pipeline_config
from pipelines.failpoints import failpoint
from pipelines.failures import FAILURE_KIND, GATE_CLOSED
from pipelines.partitions import context_months, monthly_partitions, run_months
from pipelines.periods import dbt_vars
from pipelines.project import WEIGHTS_SOURCE, dbt_project, export_dbt_env, run_target_path
from pipelines.quality.check_results import CheckVerdict, Severity, record_verdicts
from pipelines.resources import WarehouseResource
from pipelines.warehouse import Warehouse
from pipelines.warehouse.connection import checked_table_name
from pipelines.warehouse.lock import WAREHOUSE_POOL, hold_shared_phase

# The period group: the incremental marts and whatever reads the data-driven attribution weights
# (written by a Python asset between the two groups, from a shared model's path aggregate).
PERIOD_MODELS = f"config.materialized:incremental {WEIGHTS_SOURCE}+"
# Everything else, minus whatever reads a period model: tests that join a mart to a dim or an
# intermediate table (relationships, reconciliation) run with the marts' build, after both exist.
SHARED_EXCLUDE = f"config.materialized:incremental+ {WEIGHTS_SOURCE}+"
# How many of a failed test's rows its recorded verdict carries.
FAILING_ROWS_SAMPLE = 5


class ScorecardTranslator(DagsterDbtTranslator):
    """Models are keyed and grouped by their warehouse schema: ["marts", "fct_kpi"]."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["config"].get("schema") or "transform"


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select="resource_type:model",
    exclude=SHARED_EXCLUDE,
    dagster_dbt_translator=ScorecardTranslator(),
    name="dbt_shared_models",
    pool=WAREHOUSE_POOL,
)
def dbt_shared_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[object]:
    yield from _build(context, dbt, warehouse, run_months(context))


@dbt_assets(
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    select=PERIOD_MODELS,
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    dagster_dbt_translator=ScorecardTranslator(),
    name="dbt_period_models",
    pool=WAREHOUSE_POOL,
)
def dbt_period_models(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[object]:
    yield from _build(context, dbt, warehouse, context_months(context))


def _build(
    context: AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    months: list[date],
) -> Iterator[object]:
    """`dbt build` of this asset group's models over `months`; a failing test fails the step."""
    hold_shared_phase()  # PostgreSQL: runs take turns from the shared models to publication
    export_dbt_env()
    variables = dbt_vars(months[0], months[-1], load_pipeline_config())
    invocation = dbt.cli(
        ["build", "--vars", json.dumps(variables)],
        context=context,
        raise_on_error=False,
        # One target folder per run: the run's second dbt build reuses the first one's parse.
        target_path=run_target_path(context.run.run_id),
    )
    check_results = []
    for event in invocation.stream():
        failpoint(f"dbt.{context.op_def.name.removeprefix('dbt_')}")
        if isinstance(event, AssetCheckResult):
            check_results.append(event)
        yield event
    # Failing rows are read once dbt has released the warehouse (DuckDB has a single writer).
    with warehouse.open() as wh:
        verdicts = [_verdict(result, invocation.manifest, wh) for result in check_results]
        record_verdicts(wh, context.run.run_id, months[0], months[-1], verdicts)
    for verdict in (v for v in verdicts if not v.passed):
        context.log.warning(f"{verdict.asset}: {verdict.check_name} failed: {verdict.details}")
    if not invocation.is_successful():
        failed = [
            f"{v.asset}: {v.check_name}"
            for v in verdicts
            if not v.passed and v.severity is Severity.BLOCKING
        ]
        reason = (
            f"failed dbt tests: {', '.join(failed)}" if failed else "dbt build failed (see logs)"
        )
        raise Failure(description=reason, metadata={FAILURE_KIND: GATE_CLOSED}, allow_retries=False)


def _verdict(result: AssetCheckResult, manifest: Mapping[str, Any], wh: Warehouse) -> CheckVerdict:
    """The test's verdict at the severity its dbt config gives (`severity: warn` only warns, it
    does not block publication) with, when it found failing rows, the first few of them."""
    metadata = result.metadata or {}
    test = manifest["nodes"][_metadata_value(metadata["unique_id"])]
    count = _metadata_value(metadata.get("dagster_dbt/failed_row_count"))
    details = {"failing_rows_sample": _failing_rows(wh, test)} if count else {}
    return CheckVerdict(
        asset=".".join(result.asset_key.path) if result.asset_key else "dbt",
        check_name=result.check_name or "dbt_test",
        severity=(
            Severity.WARNING if test["config"]["severity"].lower() == "warn" else Severity.BLOCKING
        ),
        passed=result.passed,
        observed=f"{count} failing rows" if count is not None else "",
        details=details,
    )


def _metadata_value(entry: object) -> Any:
    return getattr(entry, "value", entry)


def _failing_rows(wh: Warehouse, test: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The first rows dbt stored for a failed test (store_failures, dbt_project.yml), as JSON."""
    relation = checked_table_name(f"{test['schema']}.{test['alias']}")
    rows = wh.query(f"select * from {relation} limit {FAILING_ROWS_SAMPLE}")
    return json.loads(rows.to_json(orient="records", date_format="iso"))
