"""The custodian's screens for the shared borrower master data: the list, an enterprise's master
record beside what each bank filed about it, and the audited change of the master record
(reviewers only; banks see and change only their own filings' snapshots). Thin: permission,
form, one service call, message, redirect."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.roles import Role, role_required
from accounts.trail import trail_context
from riskcomp.choices import EnterpriseKind, EnterpriseSize
from riskcomp.form_errors import add_service_errors
from riskcomp.listing import Column, Filter, build_listing
from riskcomp.templatetags.portal import cny

from .enterprise_forms import EnterpriseMasterForm
from .enterprise_selectors import enterprise_detail_context, enterprise_master_list
from .enterprise_services import enterprise_master_changes, enterprise_master_update
from .forms import INDUSTRY_LABELS
from .models import Enterprise

YES_NO = (("1", _lazy("是")), ("0", _lazy("否")))


@role_required(Role.REVIEWER)
@require_safe
def enterprise_list(request: HttpRequest) -> HttpResponse:
    listing = build_listing(
        request, enterprise_master_list(),
        search_fields=("name", "credit_code"),
        filters=(
            Filter("size", str(_("企业规模")), "size", tuple(EnterpriseSize.choices)),
            Filter("kind", str(_("主体类型")), "kind", tuple(EnterpriseKind.choices)),
            Filter("bda", str(_("在经开区内经营")), "is_in_bda", YES_NO),
            Filter("shared", str(_("多家银行备案")), "is_shared", YES_NO),
        ),
        columns=(
            ("name", Column(_lazy("企业名称"), "name")),
            ("code", Column(_lazy("统一社会信用代码"), "credit_code")),
            ("kind", Column(_lazy("主体类型"), "kind")),
            ("size", Column(_lazy("企业规模"), "size")),
            ("bda", Column(_lazy("在经开区"))),
            ("banks", Column(_lazy("备案银行数"), "n_banks", numeric=True)),
            ("filings", Column(_lazy("备案笔数"), "n_filings", numeric=True)),
            ("updated", Column(_lazy("主数据更新时间"), "updated_at")),
        ),
        default_sort="name",
    )
    return render(request, "enterprises/enterprise_list.html", {"listing": listing})


@role_required(Role.REVIEWER)
@require_safe
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = get_object_or_404(Enterprise, pk=pk)
    return render(request, "enterprises/enterprise_detail.html", {
        "enterprise": enterprise, "industry": _industry_label(enterprise.industry),
        **enterprise_detail_context(enterprise),
        **trail_context(request.user, enterprise, related=(enterprise.qualifications.all(),)),
    })


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "HEAD", "POST"])
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The master record's form; a valid submission is shown as before → after with the
    reason for the custodian to confirm, and only the confirmed one is saved."""
    enterprise = get_object_or_404(Enterprise, pk=pk)
    if request.method != "POST":
        form = EnterpriseMasterForm(enterprise=enterprise)
        return _edit_page(request, enterprise, form)
    form = EnterpriseMasterForm(request.POST, enterprise=enterprise)
    if not form.is_valid() or "back" in request.POST:
        return _edit_page(request, enterprise, form)
    changes = enterprise_master_changes(enterprise, form.values())
    if not changes:
        form.add_error(None, _("没有修改任何内容。"))
        return _edit_page(request, enterprise, form)
    if request.POST.get("confirm") != "1":
        return render(request, "enterprises/enterprise_confirm.html", {
            "enterprise": enterprise, "form": form, "changes": _described(changes),
            "filed_elsewhere": enterprise.filings.exists()})
    try:
        enterprise_master_update(enterprise=enterprise, values=form.values(),
                                 version=form.cleaned_data["version"],
                                 reason=form.cleaned_data["reason"], actor=request.user)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _edit_page(request, enterprise, form)
    messages.success(request, _("已修改企业主数据（%(n)s 项），各银行备案中保存的企业信息不变。")
                     % {"n": len(changes)})
    return redirect("enterprises:enterprise_detail", pk=enterprise.pk)


def _edit_page(request: HttpRequest, enterprise: Enterprise,
               form: EnterpriseMasterForm) -> HttpResponse:
    return render(request, "enterprises/enterprise_edit.html",
                  {"enterprise": enterprise, "form": form})


def _industry_label(code: str) -> str:
    return str(INDUSTRY_LABELS.get(code, code)) if code else ""  # type: ignore[call-overload]


def _shown(field: str, value: Any) -> str:
    """A master field's value as the custodian reads it: labels, 是/否, yuan, — for none."""
    if value is None or value == "":
        return "—"
    if field == "kind":
        return str(EnterpriseKind(value).label) if value in EnterpriseKind.values else value
    if field == "size":
        return str(EnterpriseSize(value).label) if value in EnterpriseSize.values else value
    if field == "industry":
        return _industry_label(value)
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, Decimal):
        return cny(value)
    return str(value)


def _described(changes: list[Any]) -> list[dict[str, str]]:
    labels = {name: field.label for name, field in EnterpriseMasterForm.base_fields.items()}
    return [{"label": str(labels[c.field]), "before": _shown(c.field, c.before),
             "after": _shown(c.field, c.after)} for c in changes]
