"""Every non-public Dagster and dagster-dbt name the project uses is still there and still what
the code expects: an upgrade that moves, renames or reshapes one fails here, by name."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import pytest
from dagster import AssetKey

from assets import dagster_internals


def is_tag(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def takes(*keywords: str) -> Callable[[object], bool]:
    """A callable that accepts these keywords (the code passes them by name)."""

    def check(value: object) -> bool:
        return callable(value) and set(keywords) <= set(inspect.signature(value).parameters)

    return check


def makes_run_ids(value: object) -> bool:
    return callable(value) and is_tag(value())


def keys_a_partition(value: object) -> bool:
    key = value(AssetKey(["raw", "orders"]), "2025-01-01")
    return key.asset_key == AssetKey(["raw", "orders"]) and key.partition_key == "2025-01-01"


def reads_dbt_events(value: object) -> bool:
    return takes("raw_event", "event_history_metadata")(value) and takes(
        "manifest", "dagster_dbt_translator", "context", "project"
    )(value.to_default_asset_events)


def is_positive_number(value: object) -> bool:
    return isinstance(value, int | float) and value > 0


def describes_a_configurable_class(value: object) -> bool:
    data = value("a.module", "AClass", "{}")
    return (data.module_name, data.class_name, data.config_yaml) == ("a.module", "AClass", "{}")


def is_an_event_log_to_subclass(value: object) -> bool:
    """What assets/run_history.py overrides or calls on it."""
    members = ("_connect", "_initdb", "conn_string_for_shard", "dispose", "from_config_value")
    return all(hasattr(value, name) for name in members) and takes("base_dir", "inst_data")(value)


EXPECTED: dict[str, Callable[[object], bool]] = {
    "ASSET_PARTITION_RANGE_END_TAG": is_tag,
    "ASSET_PARTITION_RANGE_START_TAG": is_tag,
    "PARTITION_NAME_TAG": is_tag,
    "INDEX_SHARD_NAME": is_tag,
    "SQLITE_BUSY_TIMEOUT_SECONDS": is_positive_number,
    "ConfigurableClassData": describes_a_configurable_class,
    "SqliteEventLogStorage": is_an_event_log_to_subclass,
    "DAGSTER_DBT_EXCLUDE_METADATA_KEY": is_tag,
    "DAGSTER_DBT_SELECT_METADATA_KEY": is_tag,
    "AssetKeyPartitionKey": keys_a_partition,
    "DbtCoreCliEventMessage": reads_dbt_events,
    "build_run_requests_with_backfill_policies": takes(
        "asset_partitions", "asset_graph", "dynamic_partitions_store"
    ),
    "create_execution_plan": takes("job"),
    "get_manifest_and_translator_from_dbt_assets": takes("dbt_assets"),
    "get_subset_selection_for_context": takes(
        "context",
        "manifest",
        "select",
        "exclude",
        "selector",
        "dagster_dbt_translator",
        "current_dbt_indirect_selection_env",
    ),
    "make_new_run_id": makes_run_ids,
}


def test_every_exported_name_has_an_expectation():
    assert set(EXPECTED) == set(dagster_internals.__all__)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_name_is_what_the_code_expects(name: str):
    assert EXPECTED[name](getattr(dagster_internals, name)), name
