"""Everything the rules need besides the facts of a case: policy versions, LPR history, calendar."""

from __future__ import annotations

from dataclasses import dataclass

from .params import DEFAULT_LPR, DEFAULT_SCHEME_PARAMS, LprRate, SchemeParams
from .workdays import WorkdayCalendar


@dataclass(frozen=True)
class PolicyContext:
    """The reference data, as loaded from the database (or the defaults below)."""

    params: tuple[SchemeParams, ...]
    lpr: tuple[LprRate, ...]
    calendar: WorkdayCalendar


def default_context() -> PolicyContext:
    """The versions and LPR history shipped with the code, and ``chinesecalendar`` alone."""
    return PolicyContext(params=DEFAULT_SCHEME_PARAMS, lpr=DEFAULT_LPR, calendar=WorkdayCalendar())
