"""Channel columns at landing: each raw label mapped to its canonical channel, set-based.

The distinct labels of a file's channel columns are few, so they are mapped in Python
(pipelines/channels.py) and the mapping is registered in the scratch DuckDB as a small table;
a join adds each channel column's canonical channel beside its raw label. The typed select
lands the canonical channel, the row checks quarantine a label the mapping leaves unmapped, and
the quarantine keeps the raw label."""

from __future__ import annotations

from collections.abc import Collection

import duckdb
import pyarrow as pa

from pipelines.channels import ChannelMapping, map_labels
from pipelines.extract.contract import Column, Table

LABELS_TABLE = "channel_labels"


def channel_columns(table: Table) -> list[Column]:
    return [c for c in table.columns.values() if c.values_from == "channels"]


def mapped_name(column: Column) -> str:
    """The scratch column holding `column`'s canonical channel (NULL: unmapped or missing)."""
    return f"_channel_{column.name}"


def add_mapped_channels(
    scratch: duckdb.DuckDBPyConnection,
    table: Table,
    mapping: ChannelMapping,
    channels: Collection[str],
) -> None:
    """Add each channel column's canonical channel to the scratch table `incoming`."""
    columns = channel_columns(table)
    if not columns:
        return
    labels: set[str] = set()
    for column in columns:
        text = f"nullif(trim({column.name}), '')"
        found = scratch.execute(f"select distinct {text} from incoming where {text} is not null")
        labels.update(row[0] for row in found.fetchall())
    mapped = map_labels(sorted(labels), mapping, channels)
    scratch.register(
        LABELS_TABLE,
        pa.table(
            {"label": list(mapped), "channel": list(mapped.values())},
            schema=pa.schema([("label", pa.string()), ("channel", pa.string())]),
        ),
    )
    added = ", ".join(f"m{i}.channel as {mapped_name(c)}" for i, c in enumerate(columns))
    joins = " ".join(
        f"left join {LABELS_TABLE} as m{i} on m{i}.label = nullif(trim(i.{c.name}), '')"
        for i, c in enumerate(columns)
    )
    scratch.execute(
        f"create or replace table incoming as select i.*, {added} from incoming as i {joins}"
    )
