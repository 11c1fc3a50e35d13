"""Where the stored deadlines a holiday schedule moves come from, and who is told.

The fund keeps the calendar but not the records whose deadlines are counted in working days:
filings (loans) and recoveries (claims) sit above it. Each of those apps registers a source here
from its ``AppConfig.ready()``, and the app that sends messages registers a notifier, so that
entering a year's schedule reaches them without the fund importing any of them."""

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from riskcomp.policy.params import SchemeParams
from riskcomp.policy.workdays import WorkdayCalendar

if TYPE_CHECKING:
    from .calendar_selectors import DeadlineChange


class DeadlineSource(Protocol):
    """Records holding deadlines counted in working days."""

    #: The ``DeadlineChange.field`` values this source yields (and alone writes).
    fields: frozenset[str]

    def changes(self, *, year: int, params: Sequence[SchemeParams],
                calendar: WorkdayCalendar) -> Iterable["DeadlineChange"]:
        """The stored deadlines ``calendar`` (with ``year``'s schedule in) gives otherwise,
        in a stable order."""
        ...

    def apply(self, changes: Sequence["DeadlineChange"], *, actor: Any, reason: str) -> None:
        """Write ``changes`` (all of this source's fields), one trail entry per record."""
        ...


# Told once the schedule is saved: (year, changes, idempotency key) -> number of messages.
DeadlineNotifier = Callable[[int, Sequence["DeadlineChange"], str], int]

_sources: list[DeadlineSource] = []
_notifiers: list[DeadlineNotifier] = []


def register_deadline_source(source: DeadlineSource) -> None:
    """Add ``source``; the preview lists sources in the order they were registered (the order
    of ``INSTALLED_APPS``). Registering the same source twice is a no-op."""
    if source not in _sources:
        _sources.append(source)


def register_deadline_notifier(notifier: DeadlineNotifier) -> None:
    if notifier not in _notifiers:
        _notifiers.append(notifier)


def deadline_sources() -> tuple[DeadlineSource, ...]:
    return tuple(_sources)


def deadline_notifiers() -> tuple[DeadlineNotifier, ...]:
    return tuple(_notifiers)
