"""Every CSV the site hands out is written here, so that no cell can run as a spreadsheet formula.

A spreadsheet runs a cell starting with =, +, -, @ (or a tab or carriage return before one) as a formula (CSV
injection): such text cells get a leading apostrophe, which spreadsheets show as text. Numbers (int, float, or a
column declared numeric holding a plain decimal such as -3.5) stay numbers. Pure: no Flask.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?%?\Z")


def inert(value: object) -> object:
    """The cell as a spreadsheet shows it without running it: text starting like a formula gets an apostrophe;
    numbers, dates and None pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(header: Sequence[object], rows: Iterable[Sequence[object]], numeric: Collection[int] = ()) -> str:
    """The rows as CSV text (CRLF line ends) with every text cell made inert; `numeric` lists the indexes of
    columns whose text cells are numbers (kept when they are a plain decimal)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([inert(cell) for cell in header])
    for row in rows:
        writer.writerow([cell if n in numeric and isinstance(cell, str) and _PLAIN_NUMBER.match(cell) else inert(cell)
                         for n, cell in enumerate(row)])
    return out.getvalue()


def to_csv_bytes(header: Sequence[object], rows: Iterable[Sequence[object]], numeric: Collection[int] = ()) -> bytes:
    """to_csv as UTF-8 with a byte-order mark, so Excel reads Cyrillic correctly."""
    return ("\ufeff" + to_csv(header, rows, numeric)).encode("utf-8")
