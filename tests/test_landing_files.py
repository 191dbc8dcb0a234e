"""Files that cannot be read: a CSV that breaks at a line fails naming the file and the line (the
column where known) and lands nothing, on both targets; a symlink loop, a link to nothing and a
file the pipeline's user may not read say so instead of reading as a month without a file."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pipelines.extract.files import LandingError
from pipelines.warehouse import Warehouse
from tests.test_landing import ORDERS_HEADER, land, write

GOOD = "o{n},c{n},2025-01-03 10:00:00,completed,USD,10,0\n"
HEADER_LINE = ORDERS_HEADER.strip()


def rows(count: int, start: int = 1) -> str:
    return "".join(GOOD.format(n=n) for n in range(start, start + count))


# What a file holds, and what its error says after "<path>: cannot be read as CSV for table
# 'orders': " (or after "<path>: " where the message does not start so).
READ_ERROR = "cannot be read as CSV for table 'orders': "
BROKEN_FILES: dict[str, tuple[bytes, str]] = {
    "too_many_fields": (
        (ORDERS_HEADER + rows(2) + "o3,c3,2025-01-03 10:00:00,completed,USD,10,0,9\n").encode(),
        READ_ERROR + "line 4: 8 fields, more than the 7 of the header; expected 7 "
        "(a value holding a comma must be quoted)",
    ),
    "too_few_fields": (
        (
            ORDERS_HEADER + rows(1) + "o2,c2,2025-01-03 10:00:00,completed,USD\n" + rows(1, 3)
        ).encode(),
        READ_ERROR + "line 3: 5 fields, fewer than the 7 of the header; expected 7 "
        "(a line cut short, or a separator missing)",
    ),
    "unterminated_quote": (
        (ORDERS_HEADER + rows(1) + 'o2,"c2,2025-01-03 10:00:00,completed,USD,10,0\n').encode(),
        READ_ERROR + "line 3, column customer_id: a quoted value opened here is never closed "
        '(unterminated quote); expected a closing " (a quote inside a value is written "")',
    ),
    "not_utf8": (
        (ORDERS_HEADER + rows(1)).encode() + b"o2,Caf\xe9,2025-01-03 10:00:00,completed,USD,1,0\n",
        READ_ERROR + "line 3, column customer_id: byte 0xe9 at position 7 is not UTF-8; "
        "expected a UTF-8 encoded file (export it as UTF-8)",
    ),
    "no_header": (
        rows(3).encode(),
        "line 1 is not a header: none of its 7 fields names a column of 'orders' (the first "
        f"line holds data?); expected the header line {HEADER_LINE}",
    ),
    "empty_file": (
        b"",
        "the file is empty (0 bytes); expected at least the header line (an empty month)",
    ),
}


@pytest.mark.parametrize(("content", "problem"), BROKEN_FILES.values(), ids=BROKEN_FILES.keys())
def test_a_broken_csv_fails_naming_file_and_line_and_lands_nothing(
    landing_warehouse: Warehouse, tmp_path: Path, content: bytes, problem: str
):
    path = tmp_path / "landing" / "orders" / "2025-01.csv"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.raises(LandingError) as error:
        land(landing_warehouse, tmp_path / "landing", "orders")
    assert str(error.value) == f"{path}: {problem}"
    assert_nothing_landed(landing_warehouse)


def assert_nothing_landed(warehouse: Warehouse) -> None:
    for table in ("raw.orders", "quality.quarantine", "quality.landed_batches"):
        assert warehouse.rows(f"select count(*) as n from {table}")[0].n == 0, table


def test_a_row_broken_past_the_first_thousands_fails_the_whole_file(
    landing_warehouse: Warehouse, tmp_path: Path
):
    """DuckDB reads the first rows to learn the file's shape; a row broken after them fails
    when the file is read through, still before anything of the file lands."""
    broken = "o_x,c_x,2025-01-03 10:00:00,completed,USD,10,0,9\n"
    path = write(tmp_path, "orders", ORDERS_HEADER + rows(30_000) + broken + rows(5, 30_001))
    with pytest.raises(LandingError) as error:
        land(landing_warehouse, tmp_path, "orders")
    assert str(error.value).startswith(f"{path}: {READ_ERROR}line 30002: 8 fields, more than")
    assert_nothing_landed(landing_warehouse)


def test_values_that_need_quoting_land_unchanged_on_both_targets(
    landing_warehouse: Warehouse, tmp_path: Path
):
    """A quoted comma, a doubled quote, a line break in a value, a backslash and a line that
    reads `\\.` (PostgreSQL COPY's end-of-data marker) reach raw as written."""
    names = ["Comma, Inc", 'Say "hi"', "two\nlines", "back\\slash", "two\n\\.\nthree"]
    body = "".join(
        f'o{n},"{name.replace(chr(34), chr(34) * 2)}",2025-01-03 10:00:00,completed,USD,10,0\n'
        for n, name in enumerate(names)
    )
    write(tmp_path, "orders", ORDERS_HEADER + body)
    [batch] = land(landing_warehouse, tmp_path, "orders")
    assert (batch.rows_landed, batch.rows_quarantined) == (len(names), 0)
    landed = landing_warehouse.rows("select order_id, customer_id from raw.orders")
    assert {row.order_id: row.customer_id for row in landed} == {
        f"o{n}": name for n, name in enumerate(names)
    }


def _symlink_loop(folder: Path) -> tuple[Path, str]:
    loop = folder / "2025-01.csv"
    loop.symlink_to(folder / "2025-01.other")
    (folder / "2025-01.other").symlink_to(loop)
    return (
        loop,
        "a symlink loop (a symbolic link that leads back to itself); "
        "expected a file or a link to one",
    )


def _link_to_nothing(folder: Path) -> tuple[Path, str]:
    link = folder / "2025-01.csv"
    link.symlink_to(folder.parent / "gone.csv")
    return link, (
        f"a symbolic link to {folder.parent / 'gone.csv'}, which does not exist; "
        "expected a readable file"
    )


@pytest.mark.parametrize("broken_link", [_symlink_loop, _link_to_nothing])
def test_a_broken_link_is_reported_naming_the_path_not_read_as_a_month_without_a_file(
    landing_warehouse: Warehouse, tmp_path: Path, broken_link
):
    folder = tmp_path / "orders"
    folder.mkdir()
    path, problem = broken_link(folder)
    with pytest.raises(LandingError) as error:
        land(landing_warehouse, tmp_path, "orders")
    assert str(error.value) == f"{path}: {problem}"
    assert_nothing_landed(landing_warehouse)


# Landing a file as a user who may not read it. Root reads any file, so a test run as root
# becomes `nobody` once the warehouse is open (the interpreter's own files may be root's only).
UNREADABLE_RUN = """
import os, sys
from pathlib import Path
from pipelines.extract.files import LandingError
from pipelines.warehouse.connection import DuckDBWarehouse
from pipelines.warehouse.schema import ensure_layout
from tests.test_landing import land

folder = Path(sys.argv[1])
with DuckDBWarehouse(folder / "w.duckdb", memory_limit="1GB") as wh:
    ensure_layout(wh)
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    try:
        land(wh, folder / "landing", "orders")
    except LandingError as error:
        print(error)
    else:
        print("landed")
"""


def test_a_file_the_pipeline_cannot_read_says_permission_denied():
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        folder.chmod(0o777)
        path = folder / "landing" / "orders" / "2025-01.csv"
        path.parent.mkdir(parents=True)
        for parent in (path.parent, path.parent.parent):
            parent.chmod(0o755)
        path.write_text(ORDERS_HEADER + rows(1))
        path.chmod(0o000)
        done = subprocess.run(
            [sys.executable, "-c", UNREADABLE_RUN, str(folder)],
            capture_output=True,
            text=True,
            check=False,
            cwd=Path(__file__).parent.parent,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{path}: permission denied: the pipeline's user cannot read the file; "
        "expected a readable file"
    )
