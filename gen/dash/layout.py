"""Grafana's grid: 24 columns, rows stacked top to bottom, panels left to right.

grafanalib leaves `gridPos` to the caller when panels are given with `panels=`; here a
dashboard is rows of cells and every coordinate is computed, so definitions never hold one.
"""

from __future__ import annotations

from dataclasses import dataclass

from gen.dash.model import GRID_COLUMNS, Cell, Row
from gen.core.errors import DefinitionError


@dataclass
class Placed:
    cell: Cell
    x: int
    y: int
    w: int
    h: int


@dataclass
class PlacedRow:
    row: Row
    y: int
    panels: list[Placed]


def _widths(cells: list[Cell], row: Row, what: str) -> list[int]:
    """Explicit widths stay; cells without one share the columns the others leave equally
    (the leftmost get one less when it does not divide). Only explicit widths can wrap."""
    for c in cells:
        if c.width is not None and not 1 <= c.width <= GRID_COLUMNS:
            raise DefinitionError(f"{c.source}: {what}row {row.title!r}: width {c.width} is outside 1..{GRID_COLUMNS}")
    free = [i for i, c in enumerate(cells) if c.width is None]
    widths = [c.width or 0 for c in cells]
    if free:
        left = GRID_COLUMNS - sum(widths)
        if left < 2 * len(free):
            raise DefinitionError(f"{row.source}: {what}row {row.title!r}: {len(free)} panels without a width share "
                                  f"{max(left, 0)} columns; give widths or split the row")
        per, extra = divmod(left, len(free))
        for n, i in enumerate(free):
            widths[i] = per + (1 if n >= len(free) - extra else 0)
    return widths


def place(rows: list[Row], dashboard: str = "") -> list[PlacedRow]:
    """Coordinates for every row header and panel; panels wrap when a line's 24 columns fill."""
    placed: list[PlacedRow] = []
    y = 0
    for row in rows:
        cells = [c if isinstance(c, Cell) else Cell(c, source=row.source) for c in row.cells]
        row_y = y
        y += 1  # the row header takes one grid unit
        x, line_h = 0, 0
        out = []
        for c, w in zip(cells, _widths(cells, row, f"dashboard {dashboard}: " if dashboard else "")):
            h = c.height or row.height
            if x + w > GRID_COLUMNS:
                x, y = 0, y + line_h
                line_h = 0
            out.append(Placed(c, x, y, w, h))
            x += w
            line_h = max(line_h, h)
        y += line_h
        placed.append(PlacedRow(row, row_y, out))
    return placed
