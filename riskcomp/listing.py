"""The shared list behaviour of every screen: search, filters, sort and pagination, driven by
query parameters and whitelisted per view so that nothing a user types reaches the ORM
unchecked."""

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    lookup: str
    choices: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Column:
    label: str
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


PAGE_SIZES = (25, 50, 100)


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
        cond = Q()
        for f in search_fields:
            cond |= Q(**{f"{f}__icontains": query})
        qs = qs.filter(cond)
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
