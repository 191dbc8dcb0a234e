"""The Dagster and dagster-dbt names this project uses that are not public API, in one place.

Each is used only where no public API does the job; tests/test_dagster_internals.py imports every
one of them, so an upgrade that moves or renames one fails there, by name, and not mid-run."""

from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

__all__ = [
    "DAGSTER_DBT_EXCLUDE_METADATA_KEY",
    "DAGSTER_DBT_SELECT_METADATA_KEY",
    "DbtCoreCliEventMessage",
    "get_manifest_and_translator_from_dbt_assets",
    "get_subset_selection_for_context",
]
