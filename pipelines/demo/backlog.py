"""Rows waiting for the month they are dated in.

A month's simulation produces rows dated later too (a journey that runs into next month, a
refund weeks after its order, a lead's later stages); they wait here until that month's files
are written, so the generator only ever holds the months still in flight."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa

from pipelines.demo.tables import schema


class Backlog:
    def __init__(self) -> None:
        self._pieces: dict[tuple[str, int], list[pa.Table]] = defaultdict(list)

    def add(self, name: str, table: pa.Table, months: np.ndarray) -> None:
        """Hold each row of `table` for its month (`months`: a month number per row)."""
        for month in np.unique(months):
            self._pieces[name, int(month)].append(table.filter(pa.array(months == month)))

    def take(self, name: str, month: int) -> pa.Table:
        """Every row of `name` held for `month`, in the order they were added; then forgets them."""
        pieces = self._pieces.pop((name, month), [])
        return pa.concat_tables(pieces) if pieces else schema(name).empty_table()
