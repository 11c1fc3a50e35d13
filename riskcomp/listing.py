"""The shared list behaviour of every screen: search, filters, sort and pagination, driven by
query parameters and whitelisted per view so that nothing a user types reaches the ORM
unchecked."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils.functional import Promise

from riskcomp.labels import quarter_label

# A heading or label: text, or text translated when shown (gettext_lazy).
StrOrPromise = str | Promise


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    lookup: str
    choices: tuple[tuple[str, StrOrPromise], ...]


@dataclass(frozen=True)
class Column:
    label: StrOrPromise
    sort: str = ""  # the ORM ordering expression when sortable
    numeric: bool = False


@dataclass
class Listing:
    page: Page
    query: str
    filters: list[dict[str, Any]]
    columns: list[dict[str, Any]]
    sort: str
    params: str = ""
    sort_params: str = ""
    total: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def queryset(self) -> QuerySet[Any]:
        """The searched, filtered and sorted rows of every page, as ``build_listing`` left them
        (for exports and totals); the paginator's type does not say it holds a queryset."""
        rows = self.page.paginator.object_list
        if not isinstance(rows, QuerySet):
            raise TypeError("this listing pages a list, not a queryset")
        return rows


PAGE_SIZES = (25, 50, 100)
_QUARTER = re.compile(r"(\d{4})Q([1-4])")


def date_range(params: Any) -> tuple[date | None, date | None]:
    """A list's ``from``/``to`` dates (ISO; anything else is ignored, reversed ones swapped)."""

    def parse(value: str) -> date | None:
        try:
            return date.fromisoformat(value.strip()) if value else None
        except ValueError:
            return None

    date_from, date_to = parse(params.get("from", "")), parse(params.get("to", ""))
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, date_to


def in_date_range(qs: QuerySet[Any], on: str, date_from: date | None,
                  date_to: date | None) -> QuerySet[Any]:
    """``qs`` limited to the days from ``date_from`` to ``date_to`` (both included) of the date
    ``on`` (``at__date`` for a datetime)."""
    if date_from:
        qs = qs.filter(**{f"{on}__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{on}__lte": date_to})
    return qs


def quarter_choices(first: str | None, last: str | None, *,
                    limit: int = 16) -> tuple[tuple[str, str], ...]:
    """A quarter filter's choices: every quarter (``2026Q3``) from ``last`` back to ``first``,
    newest first, at most ``limit``. Built from the two ends of the data, which an index gives
    at once, where a DISTINCT over the rows would read all of them."""
    first_m, last_m = (_QUARTER.fullmatch(q or "") for q in (first, last))
    if first_m is None or last_m is None:
        return tuple((q, quarter_label(q)) for q in dict.fromkeys(q for q in (last, first) if q))
    low, high = (int(m[1]) * 4 + int(m[2]) - 1 for m in (first_m, last_m))
    labels = (f"{n // 4}Q{n % 4 + 1}" for n in range(high, max(low, high - limit + 1) - 1, -1))
    return tuple((q, quarter_label(q)) for q in labels)


class _AnyOf(Func):
    """``column IN (subquery)``; on PostgreSQL ``column = ANY(ARRAY(subquery))``, which the
    planner can OR with the other search conditions' indexes, where ``IN`` is a filter
    evaluated on every row."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler: Any, connection: Any, function: str | None = None,
               template: str | None = None, arg_joiner: str | None = None,
               **extra_context: Any) -> tuple[str, Any]:
        (column, column_params), (rows, rows_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return f"{column} IN {rows}", (*column_params, *rows_params)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        (column, column_params), (rows, rows_params) = (
            compiler.compile(e) for e in self.get_source_expressions())
        return f"{column} = ANY(ARRAY{rows})", (*column_params, *rows_params)


def _forward_model(model: Any, path: str) -> Any:
    """The model at the end of ``path`` when every step is a forward foreign key or one-to-one
    (so that each row has at most one), else None."""
    for name in path.split("__"):
        try:
            fld = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if not (fld.concrete and (fld.many_to_one or fld.one_to_one)):
            return None
        model = fld.related_model
    return model


def _search(model: Any, fields: tuple[str, ...], query: str) -> Q:
    """Any of ``fields`` contains ``query``. The fields of a related row (``enterprise__name``)
    are searched in that table alone and matched by key, so that an index on them serves
    instead of a join read across both tables."""
    cond = Q()
    related: dict[str, list[str]] = {}
    for f in fields:
        path, _sep, leaf = f.rpartition("__")
        if path and _forward_model(model, path) is not None:
            related.setdefault(path, []).append(leaf)
        else:
            cond |= Q(**{f"{f}__icontains": query})
    for path, leaves in related.items():
        match = Q()
        for leaf in leaves:
            match |= Q(**{f"{leaf}__icontains": query})
        rows = _forward_model(model, path)._default_manager.filter(match).values("pk")
        cond |= Q(_AnyOf(F(path), Subquery(rows)))
    return cond


def build_listing(
    request: HttpRequest,
    qs: QuerySet[Any],
    *,
    search_fields: tuple[str, ...] = (),
    filters: tuple[Filter, ...] = (),
    columns: tuple[tuple[str, Column], ...] = (),
    default_sort: str = "",
) -> Listing:
    """Apply the request's ``q``, filters, ``sort`` and ``page`` to ``qs``."""
    get = request.GET
    query = get.get("q", "").strip()[:100]
    if query and search_fields:
        qs = qs.filter(_search(qs.model, search_fields, query))
    filter_state = []
    for flt in filters:
        value = get.get(flt.name, "")
        allowed = {c[0] for c in flt.choices}
        if value in allowed:
            qs = qs.filter(**{flt.lookup: value})
        else:
            value = ""
        filter_state.append({"name": flt.name, "label": flt.label, "choices": flt.choices,
                             "value": value})
    sortable = {key: col.sort for key, col in columns if col.sort}
    sort = get.get("sort", default_sort)
    key = sort.lstrip("-")
    if key in sortable:
        expr = sortable[key]
        qs = qs.order_by(f"-{expr}" if sort.startswith("-") else expr, "-pk")
    else:
        sort = ""
    try:
        per_page = int(get.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        per_page = PAGE_SIZES[0]
    if per_page not in PAGE_SIZES:
        per_page = PAGE_SIZES[0]
    paginator = Paginator(qs, per_page)
    page = paginator.get_page(get.get("page"))
    keep = get.copy()
    keep.pop("page", None)
    keep_nosort = keep.copy()
    keep_nosort.pop("sort", None)
    column_state = [
        {"key": k, "label": c.label, "sortable": bool(c.sort), "numeric": c.numeric,
         "active": sort.lstrip("-") == k, "descending": sort.startswith("-"),
         "next": (k if sort == f"-{k}" else f"-{k}") if sort.lstrip("-") == k else k}
        for k, c in columns
    ]
    return Listing(page=page, query=query, filters=filter_state, columns=column_state,
                   sort=sort, params=keep.urlencode(),
                   sort_params=keep_nosort.urlencode(), total=paginator.count)
