"""Where a contract table's rows come from: files (the default), a SQL database or an HTTP API.

Each kind has a module of its own; every kind hands the landing path (pipelines/extract/
landing.py) a LandingFile for a month, so the same row checks, quarantine, batch columns and
lineage apply whatever the kind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from pipelines.extract.contract import Table
from pipelines.extract.files import LandingFile, find_file
from pipelines.extract.sources.config import ApiSource, FilesSource, Source, SqlSource
from pipelines.warehouse import Warehouse

FILES = FilesSource()

__all__ = ["FILES", "ApiSource", "FilesSource", "Source", "SqlSource", "extract"]


@contextmanager
def extract(
    source: Source, landing: str, table: Table, month: date, warehouse: Warehouse | None = None
) -> Iterator[LandingFile | None]:
    """The month's rows of `table` from `source`; None when a files source has no file for it.
    Given the warehouse, a database month landed before is re-extracted incrementally."""
    if isinstance(source, SqlSource):
        from pipelines.extract.sources import sql  # dlt and SQLAlchemy load only when used

        with sql.extract_month(source, table, month, warehouse) as file:
            yield file
    elif isinstance(source, ApiSource):
        from pipelines.extract.sources import api

        with api.extract_month(source, table, month) as file:
            yield file
    else:
        yield find_file(landing, table.name, month)
