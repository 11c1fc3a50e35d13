from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from riskcomp.listing import Column, build_listing
from riskcomp.roles import ANY_ROLE, Role, role_required

from .models import SuspensionChange, SuspensionState
from .selectors import banks_for

STAFF = (Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)


@role_required(*STAFF)
def bank_list(request: HttpRequest) -> HttpResponse:
    qs = banks_for(request.user).annotate(
        n_filings=Count("filings", distinct=True),
    )
    listing = build_listing(
        request, qs, search_fields=("name", "short_name", "code"),
        columns=(("code", Column(_("编码"), "code")), ("name", Column(_("银行名称"), "name")),
                 ("n_filings", Column(_("备案笔数"), "n_filings", numeric=True))),
        default_sort="code",
    )
    rows = list(listing.page.object_list)
    states: dict[int, list[SuspensionState]] = {bank.pk: [] for bank in rows}
    for st in SuspensionState.objects.filter(bank__in=rows):
        states[st.bank_id].append(st)
    for bank in rows:
        bank.states = states[bank.pk]
    return render(request, "banks/bank_list.html", {"listing": listing, "rows": rows})


@role_required(*ANY_ROLE)
def bank_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bank = get_object_or_404(banks_for(request.user), pk=pk)
    return render(request, "banks/bank_detail.html", {
        "bank": bank,
        "agreements": bank.agreements.all(),
        "branches": bank.branches.all(),
        "states": bank.suspension_states.all(),
        "changes": SuspensionChange.objects.filter(bank=bank).select_related("actor")[:50],
        "filed": bank.filings.order_by().values("scheme").annotate(
            n=Count("id"), principal=Sum("amount_cny")),
    })
