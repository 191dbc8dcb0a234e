"""Channel columns at landing: each raw label mapped to its canonical channel, set-based.

The distinct labels of a file's channel columns are few, so they are mapped in Python
(pipelines/channels.py) and the mapping is bound to the check select as two lists (labels and
their channels), looked up per row in DuckDB. The typed select lands the canonical channel, the
row checks quarantine a label the mapping leaves unmapped, and the quarantine keeps the raw
label."""

from __future__ import annotations

from collections.abc import Collection

import duckdb

from pipelines.channels import ChannelMapping, map_labels
from pipelines.extract.contract import Column, Table

# The bound parameters holding the mapping: raw labels, and the canonical channel of each.
CHANNEL_LABELS = "channel_labels"
CHANNEL_NAMES = "channel_names"


def channel_columns(table: Table) -> list[Column]:
    return [c for c in table.columns.values() if c.values_from == "channels"]


def file_channel_mapping(
    reader: duckdb.DuckDBPyConnection,
    table: Table,
    source: str,
    mapping: ChannelMapping,
    channels: Collection[str],
) -> dict[str, str | None]:
    """Each distinct label of `source`'s channel columns mapped to its canonical channel (None:
    unmapped)."""
    columns = channel_columns(table)
    if not columns:
        return {}
    texts = " union ".join(
        f"select distinct nullif(trim({c.name}), '') as label from {source}" for c in columns
    )
    found = reader.execute(f"select label from ({texts}) where label is not null order by label")
    return map_labels([row[0] for row in found.fetchall()], mapping, channels)
