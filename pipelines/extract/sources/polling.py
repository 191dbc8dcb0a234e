"""Which months a poll of the database and API sources should run: those holding rows changed
since each table's watermark (the newest cursor value landed, from `quality.landed_batches`).

A SQL table with a period column runs the months of its changed rows (only those rows are
read); one without runs the open month when any row changed; an API, which has no cursor,
runs the open month."""

from __future__ import annotations

from datetime import date, datetime

from pipelines.config import PipelineConfig
from pipelines.extract.contract import load_contract
from pipelines.extract.sources.config import ApiSource, SqlSource
from pipelines.warehouse import Warehouse


def table_watermarks(warehouse: Warehouse) -> dict[str, datetime]:
    """Per table, the newest cursor value any landed batch held (none before the first run)."""
    known = warehouse.scalar(
        "select count(*) from information_schema.columns where table_schema = 'quality' "
        "and table_name = 'landed_batches' and column_name = 'source_watermark'"
    )
    if not known:
        return {}
    frame = warehouse.query(
        "select table_name, max(source_watermark) as watermark from quality.landed_batches "
        "where source_watermark is not null group by table_name"
    )
    return {
        name: watermark.to_pydatetime() if hasattr(watermark, "to_pydatetime") else watermark
        for name, watermark in zip(frame["table_name"], frame["watermark"], strict=True)
    }


def months_to_run(
    config: PipelineConfig, watermarks: dict[str, datetime], open_month: date
) -> dict[str, list[date]]:
    """Per polled table, the months to run (tables with nothing to run left out)."""
    from pipelines.extract.sources import sql  # dlt loads only when a database is polled

    found: dict[str, list[date]] = {}
    for name, source in config.sources.items():
        table = load_contract().table(name)
        if isinstance(source, ApiSource):
            found[name] = [open_month]
        elif isinstance(source, SqlSource):
            since = watermarks.get(name)
            if source.period_column:
                months = sql.changed_months(source, table, since)
            else:
                months = [open_month] if sql.has_changes(source, table, since) else []
            if months:
                found[name] = months
    return found
