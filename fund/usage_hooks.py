"""Who uses the fund's policy parameters. A scheme version recorded by a filing, or an LPR
publication a filing's rate cap was checked against, may no longer be corrected or removed;
the filings sit above the fund, so the app holding them registers a usage counter here from its
``AppConfig.ready()`` instead of the fund reading its records."""

from datetime import date
from typing import Protocol


class ParamsUsage(Protocol):
    """Counts of the records that applied the fund's parameters."""

    def by_version(self) -> dict[str, int]:
        """Records per recorded document number, every version at once."""
        ...

    def of_version(self, version: str) -> int:
        """Records that recorded the document number ``version``."""
        ...

    def drawn_between(self, since: date, before: date | None) -> int:
        """Records drawn down on or after ``since`` and before ``before`` (None: no end)."""
        ...


_usages: list[ParamsUsage] = []


def register_params_usage(usage: ParamsUsage) -> None:
    """Add ``usage``; registering the same one twice is a no-op."""
    if usage not in _usages:
        _usages.append(usage)


def params_usages() -> tuple[ParamsUsage, ...]:
    return tuple(_usages)


def version_usage_counts() -> dict[str, int]:
    """Records per recorded document number, over every registered counter."""
    total: dict[str, int] = {}
    for usage in _usages:
        for version, n in usage.by_version().items():
            total[version] = total.get(version, 0) + n
    return total


def version_usage(version: str) -> int:
    return sum(usage.of_version(version) for usage in _usages)


def drawn_between_usage(since: date, before: date | None) -> int:
    return sum(usage.drawn_between(since, before) for usage in _usages)
