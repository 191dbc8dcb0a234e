"""Where a CSV file DuckDB refused breaks: its first bad line, found by a scan in Python.

DuckDB reads good files fast but says why a bad one fails only as "Error when sniffing file" or
with a line of its own counting. So after DuckDB refuses a file (never before: a good file is
never scanned twice) the file is read here with Python's csv module, which counts physical lines,
and the first problem is named: a byte that is not UTF-8, a quoted value that never closes, text
after a closing quote, a row with more or fewer fields than the header. Lines are the file's
lines, the header being line 1. No value is quoted in the message: the line may hold personal
data."""

from __future__ import annotations

import csv
from pathlib import Path

ENCODING = "utf-8-sig"  # a byte order mark before the header is allowed


def first_broken_line(path: Path) -> str | None:
    """The first problem of the file as 'line N[, column C]: what, expected what'; None when the
    scan finds nothing (the caller then reports the reader's own message)."""
    return _bad_encoding(path) or _bad_structure(path)


def _bad_encoding(path: Path) -> str | None:
    header: list[str] = []
    with open(path, "rb") as raw:
        for number, line in enumerate(raw, start=1):
            try:
                text = line.decode(ENCODING if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                byte = line[error.start]
                where = _column_at(line[: error.start].decode("utf-8", "replace"), header)
                return (
                    f"line {number}{where}: byte 0x{byte:02x} at position {error.start + 1} "
                    "is not UTF-8; expected a UTF-8 encoded file (export it as UTF-8)"
                )
            if number == 1:
                header = next(csv.reader([text]), [])
    return None


def _bad_structure(path: Path) -> str | None:
    with open(path, encoding=ENCODING, newline="") as text:
        reader = csv.reader(text, strict=True)
        header: list[str] = []
        start = 1
        try:
            for fields in reader:
                if not fields:  # a blank line: skipped, as DuckDB does
                    start = reader.line_num + 1
                    continue
                if not header:
                    header = fields
                elif len(fields) != len(header):
                    return _ragged(start, reader.line_num, len(fields), len(header))
                start = reader.line_num + 1
        except csv.Error as error:
            return _quoting(path, start, reader.line_num, str(error), header)
    return None


def _ragged(start: int, end: int, found: int, expected: int) -> str:
    if end > start:  # a quoted value ran over line ends: most likely a quote never closed
        return (
            f"line {start}: a quoted value runs on to line {end} and the row has {found} "
            f"fields, expected {expected} as in the header (an unterminated quote?)"
        )
    if found > expected:
        return (
            f"line {start}: {found} fields, more than the {expected} of the header; expected "
            f"{expected} (a value holding a comma must be quoted)"
        )
    return (
        f"line {start}: {found} fields, fewer than the {expected} of the header; expected "
        f"{expected} (a line cut short, or a separator missing)"
    )


def _quoting(path: Path, start: int, line: int, error: str, header: list[str]) -> str:
    if "end of data" in error or "EOF" in error:
        opened = _line_text(path, start)
        where = _column_at(opened[: _open_quote(opened)], header) if opened else ""
        return (
            f"line {start}{where}: a quoted value opened here is never closed (unterminated "
            'quote); expected a closing " (a quote inside a value is written "")'
        )
    if "expected after" in error:
        return (
            f"line {line}: text after a closing quote; expected the quote to end the value "
            '(a quote inside a value is written "")'
        )
    return f"line {line}: {error}"


def _line_text(path: Path, number: int) -> str:
    with open(path, encoding=ENCODING, errors="replace", newline="") as text:
        for current, line in enumerate(text, start=1):
            if current == number:
                return line
    return ""


def _open_quote(line: str) -> int:
    """The position of the quote that opens a value and is not closed on the line (the line's
    length when every quote closes)."""
    opened, position, at_start = None, 0, True
    while position < len(line):
        char = line[position]
        if opened is not None:
            if char == '"':
                if line[position + 1 : position + 2] == '"':  # a doubled quote: still inside
                    position += 1
                else:
                    opened = None
        elif char == '"' and at_start:
            opened = position
        at_start = opened is None and char == ","
        position += 1
    return len(line) if opened is None else opened


def _column_at(prefix: str, header: list[str]) -> str:
    """', column <name>' for the field `prefix` (the line up to a position) ends in."""
    index = len(next(csv.reader([prefix]), [""])) - 1 if prefix else 0
    if 0 <= index < len(header):
        return f", column {header[index]}"
    return ""
