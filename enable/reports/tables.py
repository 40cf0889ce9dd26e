"""Report tables: the same formatted cells feed the page and the CSV export, so both show the same figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import Response

from enable import csvexport


@dataclass(frozen=True)
class Column:
    """A table column: its label (with the unit), whether it holds numbers, and whether its text is long."""

    label: str
    numeric: bool = False
    wide: bool = False  # sentences or titles: kept readable in wide tables


@dataclass
class Table:
    """A named table of formatted cells; links (optional, one per row) point one cell at the item's page."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    link_column: int = 0  # the cell that carries the row's link

    def add(self, cells: Sequence[str], link: str | None = None) -> None:
        """Append a row of already formatted cells."""
        if len(cells) != len(self.columns):
            raise ValueError(f"table {self.name}: {len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(list(cells))
        self.links.append(link)

    def link_of(self, index: int) -> str | None:
        return self.links[index] if index < len(self.links) else None


def pct(fraction: float | None) -> str:
    """A fraction 0..1 as a percentage with one decimal ("" when unknown)."""
    return "" if fraction is None else f"{fraction * 100:.1f}"


def points(diff: float | None) -> str:
    """A difference of two fractions in percentage points, one decimal."""
    return "" if diff is None else f"{diff * 100:.1f}"


def amount(cents: float | None) -> str:
    """Money in cents as units with two decimals."""
    return "" if cents is None else f"{cents / 100:.2f}"


def decimal1(value: float | None) -> str:
    """A number with one decimal."""
    return "" if value is None else f"{value:.1f}"


def count(value: int | None) -> str:
    return "" if value is None else str(int(value))


def csv_response(table: Table, filename: str) -> Response:
    """A download of the table as UTF-8 CSV with a BOM: a header of column labels, then the same cells as the page
    (text cells made inert, enable.csvexport)."""
    numeric = [n for n, col in enumerate(table.columns) if col.numeric]
    body = csvexport.to_csv_bytes([c.label for c in table.columns], table.rows, numeric)
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
