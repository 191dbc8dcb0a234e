"""Where a table's file for a month lives in the landing area (a local folder or any fsspec URL)."""

from __future__ import annotations

import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath

import fsspec

from pipelines.periods import month_label

FORMATS = ("csv", "parquet")
# The landing rule: a table's file for a month is named <YYYY-MM>.<format>.
LANDING_FILE_NAME = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])\.(csv|parquet)$")


class LandingError(ValueError):
    """A landing file is unreadable, ambiguous or off-contract; the message names file, column."""


@dataclass(frozen=True)
class LandingFile:
    """A month's rows to land. `url` is its lineage (`_source`); a database or API extract also
    has the `local` file it was written to, the newest cursor value it holds and notes."""

    table: str
    month: date
    url: str
    format: str
    local: Path | None = None
    watermark: datetime | None = None
    notes: tuple[str, ...] = ()  # what a person should know, e.g. a column the source added


def find_file(landing: str, table: str, month: date) -> LandingFile | None:
    """The file `<landing>/<table>/<YYYY-MM>.<csv|parquet>`; None when the month has none: no
    table is required, a missing file means nothing was sent for that month."""
    fs, root = fsspec.core.url_to_fs(landing)
    stem = f"{root.rstrip('/')}/{table}/{month_label(month)}"
    found = [fmt for fmt in FORMATS if _exists(fs, f"{stem}.{fmt}")]
    if len(found) > 1:
        raise LandingError(
            f"{landing}/{table}/{month_label(month)}: both a .csv and a .parquet file exist; "
            "expected exactly one file per table and month"
        )
    if not found:
        return None
    path = f"{stem}.{found[0]}"
    url = path if _is_local(fs) else fs.unstrip_protocol(path)
    return LandingFile(table=table, month=month, url=url, format=found[0])


def months_in_landing(landing: str, table: str) -> list[date]:
    """The months that have a `<table>/<YYYY-MM>.<csv|parquet>` file in the landing, sorted."""
    fs, root = fsspec.core.url_to_fs(landing)
    folder = f"{root.rstrip('/')}/{table}"
    if not _exists(fs, folder) or not fs.isdir(folder):
        return []
    names = (PurePosixPath(path).name for path in fs.ls(folder, detail=False))
    found = (LANDING_FILE_NAME.match(name) for name in names)
    return sorted({date(int(match[1]), int(match[2]), 1) for match in found if match})


def _exists(fs: fsspec.AbstractFileSystem, path: str) -> bool:
    """Whether `path` is there. A local entry that is there but cannot be reached is an error
    naming why, not a month without a file: a symlink loop, a link to nothing, a folder the
    pipeline's user may not enter."""
    if not _is_local(fs):
        return fs.exists(path)
    try:
        os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise LandingError(
                f"{path}: a symbolic link to {os.readlink(path)}, which does not exist; "
                "expected a readable file"
            ) from None
        return False
    except PermissionError:
        raise LandingError(
            f"{path}: permission denied: the pipeline's user cannot reach it; "
            "expected a readable file"
        ) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LandingError(
                f"{path}: a symlink loop (a symbolic link that leads back to itself); "
                "expected a file or a link to one"
            ) from None
        raise LandingError(f"{path}: cannot be reached: {error.strerror}") from None
    return True


def check_readable(path: Path, file: LandingFile) -> None:
    """Refuse a file that cannot be opened or holds nothing: a 0-byte file is a failed export
    or transfer as often as an empty month, so an empty month is sent as its header line."""
    try:
        with open(path, "rb") as opened:
            empty = not opened.read(1)
    except PermissionError:
        raise LandingError(
            f"{file.url}: permission denied: the pipeline's user cannot read the file; "
            "expected a readable file"
        ) from None
    except OSError as error:
        raise LandingError(f"{file.url}: cannot be opened: {error.strerror}") from None
    if empty:
        expected = "the header line (an empty month)" if file.format == "csv" else "a Parquet file"
        raise LandingError(f"{file.url}: the file is empty (0 bytes); expected at least {expected}")


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols


@contextmanager
def local_copy(file: LandingFile) -> Iterator[Path]:
    """A local path DuckDB can read: the file itself when local, else a temporary download."""
    if file.local is not None:
        yield file.local
        return
    fs, path = fsspec.core.url_to_fs(file.url)
    if _is_local(fs):
        yield Path(path)
        return
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / Path(path).name
        with fs.open(path, "rb") as remote, open(target, "wb") as local:
            shutil.copyfileobj(remote, local)
        yield target
