"""The warehouse: one small interface over DuckDB (embedded default) and PostgreSQL (serving)."""

from pipelines.warehouse.connection import Warehouse, WarehouseError, connect

__all__ = ["Warehouse", "WarehouseError", "connect"]
