"""The Dagster and dagster-dbt names this project uses that are not public API, in one place.

Each is used only where no public API does the job; tests/test_dagster_internals.py imports every
one of them, so an upgrade that moves or renames one fails there, by name, and not mid-run.

Dagster: the run tags naming a run's partition or range; a run id made before the run starts
(its log file and lock name it); for tests, the backfill daemon's run planning and a job's
execution plan; the SQLite event log and what a subclass of it needs (assets/run_history.py:
Dagster makes an engine per event and offers no setting for it). dagster-dbt: a dbt asset's
selection; the event of one dbt node's result."""

from dagster._core.definitions.automation_tick_evaluation_context import (
    build_run_requests_with_backfill_policies,
)
from dagster._core.definitions.events import AssetKeyPartitionKey
from dagster._core.execution.api import create_execution_plan
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)
from dagster._core.utils import make_new_run_id
from dagster._serdes import ConfigurableClassData
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "DAGSTER_DBT_EXCLUDE_METADATA_KEY",
    "DAGSTER_DBT_SELECT_METADATA_KEY",
    "INDEX_SHARD_NAME",
    "PARTITION_NAME_TAG",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "AssetKeyPartitionKey",
    "ConfigurableClassData",
    "DbtCoreCliEventMessage",
    "SqliteEventLogStorage",
    "build_run_requests_with_backfill_policies",
    "create_execution_plan",
    "get_manifest_and_translator_from_dbt_assets",
    "get_subset_selection_for_context",
    "make_new_run_id",
]
