"""Reads of the yearly spot checks: the loans a year's check draws from."""

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear

from ..models import Claim

# Statuses of a claimed loan the fund has compensated.
SPOT_CHECK_STATUSES = (Claim.Status.PAID, Claim.Status.WRITTEN_OFF)


def spot_check_population(*, year: int) -> QuerySet[Claim]:
    """The loans a year's spot check draws from.

    **Reading:** the claimed loans the fund compensated in that year: claims paid or written off
    whose payment is dated in the year. Kept here, in one place, so that a different reading of
    the bureau's is a change of this function only.
    """
    return Claim.objects.filter(status__in=SPOT_CHECK_STATUSES,
                                payment__paid_on__year=year).order_by("id")


def spot_check_population_counts() -> list[tuple[int, int]]:
    """(year, number of loans) for every year with a population, latest first: one query."""
    rows = (Claim.objects.filter(status__in=SPOT_CHECK_STATUSES, payment__isnull=False)
            .annotate(year=ExtractYear("payment__paid_on")).order_by()
            .values("year").annotate(n=Count("id")).order_by("-year"))
    return [(r["year"], r["n"]) for r in rows]
