"""dbt models as Dagster assets: staging -> intermediate -> marts, with dbt tests as asset checks.

Two asset groups, as in Dagster's own platform: the incremental marts are monthly partitioned
(each run rebuilds exactly its months), every other model (staging views, intermediate working
tables, dims) is unpartitioned and rebuilt for the months of the run it executes in. Keeping the
partitioned set small keeps the per-partition event bookkeeping of long backfills small too.
dbt runs in this process on a manifest parsed once (pipelines/transform/dbt_runner.py); the months
reach it as `--vars`. Test verdicts are also recorded in `quality.check_results` once dbt has
released the warehouse: at the severity of the test's dbt config (`severity: warn` only warns)
and, for a failed test, with the first of its failing rows."""

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
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from assets.dagster_internals import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DbtCoreCliEventMessage,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from assets.dbt_project import WEIGHTS_SOURCE, dbt_project, run_target_path
from assets.partitions import context_months, monthly_partitions, run_months
from assets.resources import WarehouseResource
from pipelines.config import load_pipeline_config
from pipelines.failpoints import failpoint
from pipelines.failures import FAILURE_KIND, GATE_CLOSED
from pipelines.periods import dbt_vars
from pipelines.quality.check_results import CheckVerdict, Severity, record_verdicts
from pipelines.transform.dbt_runner import DbtInvocation, export_dbt_env, run_dbt
from pipelines.warehouse import Warehouse
from pipelines.warehouse.lock import WAREHOUSE_POOL, hold_shared_phase

# The period group: the marts rebuilt by month (tag `period`: each deletes the run's months and
# inserts them again) and whatever reads the data-driven attribution weights (written by a Python
# asset between the two groups, from a shared model's path aggregate).
PERIOD_MODELS = f"tag:period {WEIGHTS_SOURCE}+"
# Everything else, minus whatever reads a period model: tests that join a mart to a dim or an
# intermediate table (relationships, reconciliation) run with the marts' build, after both exist.
SHARED_EXCLUDE = f"tag:period+ {WEIGHTS_SOURCE}+"
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
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[object]:
    yield from _build(context, warehouse, run_months(context))


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
    context: AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[object]:
    yield from _build(context, warehouse, context_months(context))


def _build(
    context: AssetExecutionContext, warehouse: WarehouseResource, months: list[date]
) -> Iterator[object]:
    """`dbt build` of this asset group's models over `months`, in this process; a failing
    blocking test fails the step."""
    hold_shared_phase()  # PostgreSQL: runs take turns from the shared models to publication
    export_dbt_env()
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=context.op_execution_context.op.tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=context.op_execution_context.op.tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=None,
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=None,
    )
    if indirect:
        selection = [*selection, "--indirect-selection", indirect]
    # dbt's unit tests check the SQL's logic on fixed rows: the test suite runs them, not every run.
    selection = [*selection, "--exclude-resource-type", "unit_test"]
    step = context.op_def.name.removeprefix("dbt_")
    build = run_dbt(
        "build",
        selection,
        dbt_vars(months[0], months[-1], load_pipeline_config()),
        # One folder per run: compiled SQL and dbt's log, worth a look after a failure.
        run_target_path(context.run.run_id),
        on_result=lambda _: failpoint(f"dbt.{step}"),
    )
    check_results = []
    for raw_event in build.result_events:
        event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
        for dagster_event in event.to_default_asset_events(
            manifest=manifest, dagster_dbt_translator=translator, context=context, project=project
        ):
            if isinstance(dagster_event, AssetCheckResult):
                check_results.append(dagster_event)
            yield dagster_event
    with warehouse.open() as wh:
        verdicts = [_verdict(result, manifest, build, wh) for result in check_results]
        record_verdicts(wh, context.run.run_id, months[0], months[-1], verdicts)
    for verdict in (v for v in verdicts if not v.passed):
        context.log.warning(f"{verdict.asset}: {verdict.check_name} failed: {verdict.details}")
    if not build.success:
        failed = [
            f"{v.asset}: {v.check_name}"
            for v in verdicts
            if not v.passed and v.severity is Severity.BLOCKING
        ]
        reason = (
            f"failed dbt tests: {', '.join(failed)}"
            if failed
            else f"dbt build failed: {'; '.join(build.errors) or 'see the run log'}"
        )
        raise Failure(description=reason, metadata={FAILURE_KIND: GATE_CLOSED}, allow_retries=False)


def _verdict(
    result: AssetCheckResult, manifest: Mapping[str, Any], build: DbtInvocation, wh: Warehouse
) -> CheckVerdict:
    """The test's verdict at the severity its dbt config gives (`severity: warn` only warns, it
    does not block publication) with, when it found failing rows, the first few of them."""
    metadata = result.metadata or {}
    unique_id = _metadata_value(metadata["unique_id"])
    test = manifest["nodes"][unique_id]
    count = _metadata_value(metadata.get("dagster_dbt/failed_row_count"))
    sql = build.compiled_sql.get(unique_id)
    details = {"failing_rows_sample": _failing_rows(wh, sql)} if count and sql else {}
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


def _failing_rows(wh: Warehouse, test_sql: str) -> list[dict[str, Any]]:
    """The first rows a failed test found, as JSON: its compiled query run again, only for a
    test that failed (storing every test's rows would cost each passing test a write)."""
    rows = wh.query(f"select * from (\n{test_sql}\n) as failing_rows limit {FAILING_ROWS_SAMPLE}")
    return json.loads(rows.to_json(orient="records", date_format="iso"))
