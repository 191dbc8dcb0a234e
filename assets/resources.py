"""Dagster resources: the warehouse the environment points at."""

from __future__ import annotations

from dagster import ConfigurableResource

from pipelines.settings import get_settings
from pipelines.warehouse import Warehouse, connect


class WarehouseResource(ConfigurableResource):
    """Opens the warehouse named by SCORECARD_TARGET (DuckDB file or PostgreSQL URL).

    Assets open it only for as long as they write: DuckDB allows one writer per file, and dbt
    (a subprocess) needs the file while the dbt assets run."""

    def open(self) -> Warehouse:
        return connect(get_settings())
