"""Arrow tables shaped by the input contract, and the value builders every simulator uses.

Simulators work on integer codes and seconds; these helpers turn them into typed Arrow columns
(ids like 'ord_00000042', labels, timestamps, 2-decimal amounts) in one vectorised step each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.timeline import DAY
from pipelines.extract.contract import ColumnType, load_contract

CURRENCY = "USD"  # the demo business sells and buys in the default reporting currency

# How each contract type is held in memory and in Parquet (months and periods stay 'YYYY-MM').
ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DECIMAL: pa.float64(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("s"),
    ColumnType.MONTH: pa.string(),
    ColumnType.PERIOD: pa.string(),
}

# Columns carried beside the contract's so plans can be derived from what was generated;
# their names start with '_' and they are never written.
HIDDEN_COLUMNS: dict[str, dict[str, pa.DataType]] = {
    "orders": {
        "_owner_rep_id": pa.string(),
        "_first_order": pa.bool_(),
        "_net_revenue": pa.float64(),
    },
    "tickets": {"_owner_rep_id": pa.string()},
    "leads": {"_sql_at": pa.timestamp("s")},
}

# Tables the generator keeps for itself: linear credit of each order to its journey's touches.
INTERNAL_TABLES: dict[str, dict[str, pa.DataType]] = {
    "order_credits": {
        "order_id": pa.string(),
        "channel": pa.string(),
        "campaign_id": pa.string(),
        "share": pa.float64(),
    },
}

# How each kind of running number (see Numbering) is written as an id: prefix, digits.
ID_FORMATS: dict[str, tuple[str, int]] = {
    "touch": ("tp_", 9),
    "visitor": ("vis_", 8),
    "customer": ("cus_", 7),
    "order": ("ord_", 8),
    "refund": ("rf_", 7),
    "ticket": ("tkt_", 7),
    "survey": ("srv_", 7),
    "lead": ("lead_", 7),
}

Values = pa.Array | np.ndarray | Sequence

# A table's rows and, per row, the number of the month whose file it belongs in.
Rows = tuple[pa.Table, np.ndarray]


@cache
def schema(name: str) -> pa.Schema:
    """The in-memory schema of a table: contract columns in contract order, then hidden ones."""
    if name in INTERNAL_TABLES:
        return pa.schema(INTERNAL_TABLES[name])
    columns = load_contract().table(name).columns.values()
    fields = [pa.field(c.name, ARROW_TYPES[c.type]) for c in columns]
    fields += [pa.field(n, t) for n, t in HIDDEN_COLUMNS.get(name, {}).items()]
    return pa.schema(fields)


def build(name: str, columns: Mapping[str, Values]) -> pa.Table:
    """A table of `name` from exactly its schema's columns, each cast to its type."""
    target = schema(name)
    if set(columns) != set(target.names):
        raise ValueError(f"{name}: got columns {sorted(columns)}, expected {sorted(target.names)}")
    arrays = [_as_array(columns[f.name], f.type) for f in target]
    return pa.Table.from_arrays(arrays, schema=target)


def _as_array(values: Values, type_: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(type_)
    return pa.array(values, type=type_)


def text_ids(kind: str, numbers: np.ndarray) -> pa.Array:
    """Running numbers of a kind as ids ('ord_00000042'); a negative number means none (null)."""
    prefix, width = ID_FORMATS[kind]
    digits = pa.array(numbers, mask=numbers < 0).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(digits, width=width, padding="0"), "")


def labels(names: Sequence[str], codes: np.ndarray) -> pa.Array:
    """The name of each code (an index into `names`); a negative code means null."""
    return pa.array(names, pa.string()).take(pa.array(codes, mask=codes < 0))


def timestamps(seconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    return pa.array(seconds, type=pa.timestamp("s"), mask=missing)


def dates(seconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """The day of each moment; `missing` ones are null (whatever their placeholder value)."""
    days = np.where(missing, 0, seconds // DAY) if missing is not None else seconds // DAY
    return pa.array(days.astype(np.int32), type=pa.date32(), mask=missing)


def amounts(values: np.ndarray) -> np.ndarray:
    """Money: rounded to cents."""
    return np.round(values, 2)


def round_significant(values: np.ndarray, digits: int) -> np.ndarray:
    """Plan figures as people write them: 23,400 not 23,417.81; 0.312 not 0.31187."""
    magnitude = np.floor(np.log10(np.abs(np.where(values == 0, 1, values))))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(np.round(values * scale) / scale, 4)


def constant(value: object, count: int) -> pa.Array:
    return pa.repeat(pa.scalar(value), count)


class Numbering:
    """Running numbers per kind of id, so an id is never reused across months of a run."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, kind: str, count: int) -> np.ndarray:
        start = self._next.get(kind, 1)
        self._next[kind] = start + count
        return np.arange(start, start + count, dtype=np.int64)
