"""One specification per column of a list and of its Excel export: the heading, where the list
sorts it, how the workbook reads its value and as what. A list and its export each name the
columns they show, in their own order (the screen shows fewer than the workbook)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from riskcomp.exports import XColumn
from riskcomp.listing import Column

NUMERIC_KINDS = frozenset({"money", "ratio", "number", "int"})


@dataclass(frozen=True)
class Col:
    """One column. ``value`` is what the workbook writes (None: the column is the screen's
    only); ``sort`` the ORM ordering when the list sorts by it; ``export_label`` the
    workbook's heading where it says more than the screen's narrow one."""

    label: Any
    value: Callable[[Any], Any] | None = None
    kind: str = "text"
    width: int = 16
    sort: str = ""
    export_label: Any = None


class Columns:
    """The columns of one kind of row, by key."""

    def __init__(self, **columns: Col) -> None:
        self.columns = columns

    def __or__(self, other: "Columns") -> "Columns":
        """These columns and ``other``'s; ``other`` says what a key means where both have it."""
        return Columns(**{**self.columns, **other.columns})

    def listing(self, *keys: str) -> tuple[tuple[str, Column], ...]:
        """The list's columns, in the order given, for ``build_listing``."""
        return tuple((k, Column(self.columns[k].label, self.columns[k].sort,
                                numeric=self.columns[k].kind in NUMERIC_KINDS)) for k in keys)

    def export(self, *keys: str) -> tuple[XColumn, ...]:
        """The workbook's columns, in the order given."""
        out = []
        for k in keys:
            c = self.columns[k]
            if c.value is None:
                raise ValueError(f"column {k!r} has no value to export")
            out.append(XColumn(c.export_label or c.label, c.value, c.kind, c.width))
        return tuple(out)
