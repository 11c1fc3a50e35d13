"""Filings as users of the fund's policy parameters (registered in ``LoansConfig.ready``): a
scheme version a filing recorded, or an LPR publication its rate cap was checked against, is
no longer corrected or removed."""

from datetime import date

from django.db.models import Count

from .models import LoanFiling


class FilingParamsUsage:
    def by_version(self) -> dict[str, int]:
        # One grouped query for the whole version list.
        return dict(LoanFiling.objects.order_by().values_list("policy_version")
                    .annotate(n=Count("pk")).values_list("policy_version", "n"))

    def of_version(self, version: str) -> int:
        return LoanFiling.objects.filter(policy_version=version).count()

    def drawn_between(self, since: date, before: date | None) -> int:
        filings = LoanFiling.objects.filter(drawdown_date__gte=since)
        if before is not None:
            filings = filings.filter(drawdown_date__lt=before)
        return filings.count()


FILING_PARAMS_USAGE = FilingParamsUsage()
