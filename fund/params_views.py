"""参数维护: the administrator's screens for the policy versions and the LPR. The custodian and
auditors may read them; only the administrator writes (the services audit every change)."""

from datetime import timedelta
from itertools import pairwise
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.roles import Role, role_of, role_required
from accounts.trail import trail_context
from riskcomp.choices import ReasonCode
from riskcomp.form_errors import add_service_errors, service_errors_as_messages, service_errors_on
from riskcomp.policy.params import choose_version
from riskcomp.policy.types import Scheme

from . import params_services as services
from .models import LprRate, PolicyVersion
from .params_forms import LprForm, PolicyVersionForm
from .selectors import policy_context, scheme_params_from
from .usage_hooks import version_usage_counts

READERS = (Role.ADMIN, Role.REVIEWER, Role.APPROVER, Role.AUDITOR)


def _usage() -> dict[str, int]:
    """Filings per recorded document number, in one grouped query."""
    return version_usage_counts()


@role_required(*READERS)
@require_safe
def version_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    ctx = policy_context()
    usage = _usage()
    current = {}
    for scheme in Scheme:
        choice = choose_version(ctx.params, scheme, today)
        if choice is not None and choice.in_force:
            current[str(scheme)] = choice.params.version
    versions = list(PolicyVersion.objects.order_by("scheme", "-valid_from"))
    for v in versions:
        v.used_by = usage.get(v.version, 0)
        v.is_current = current.get(v.scheme) == v.version
        v.is_future = v.valid_from > today
    return render(request, "fund/params/version_list.html", {
        "versions": versions, "today": today, "can_edit": role_of(request.user) == Role.ADMIN,
    })


def _article_rows(version: PolicyVersion) -> list[tuple[str, str]]:
    labels = dict(ReasonCode.choices)
    articles = version.articles if isinstance(version.articles, dict) else {}
    return [(str(labels.get(code, code)), text) for code, text in articles.items()]


@role_required(*READERS)
@require_safe
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PolicyVersion, pk=pk)
    used_by = services.policy_version_usage(version)
    form = PolicyVersionForm(instance=version)
    return render(request, "fund/params/version_detail.html", {
        "version": version, "used_by": used_by, "params": scheme_params_from(version),
        "figures": form.figure_fields(), "article_rows": _article_rows(version),
        "can_edit": role_of(request.user) == Role.ADMIN,
        **trail_context(request.user, version),
    })


def _next_from(source: PolicyVersion) -> dict[str, Any]:
    """The successor's starting values: the source's figures, validity from the day after the
    source ends; the document number and the end of validity are the new document's, typed by
    the administrator."""
    return {"version": "", "title": source.title,
            "valid_from": source.valid_to + timedelta(days=1), "valid_to": None}


@role_required(Role.ADMIN)
def version_succeed(request: HttpRequest, pk: int) -> HttpResponse:
    """新建承接版本: the source version's figures copied into a form, changed and saved as a new
    version with its own document number, validity and articles."""
    source = get_object_or_404(PolicyVersion, pk=pk)
    if request.method == "POST":
        form = PolicyVersionForm(request.POST, instance=PolicyVersion(
            articles=source.articles, scheme=source.scheme))
        if form.is_valid():
            with service_errors_on(form):
                created = services.policy_version_create(source=source, values=form.values(),
                                                         actor=request.user)
                messages.success(request, _("已新建政策版本%(v)s（%(f)s至%(t)s）。") % {
                    "v": created.version, "f": created.valid_from.isoformat(),
                    "t": created.valid_to.isoformat()})
                return redirect("params:version_detail", pk=created.pk)
    else:
        initial = _next_from(source)
        form = PolicyVersionForm(instance=source, initial=initial)
    return render(request, "fund/params/version_form.html", {
        "form": form, "source": source, "title": _("新建承接版本"),
    })


@role_required(Role.ADMIN)
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """更正 a version no filing has used yet."""
    version = get_object_or_404(PolicyVersion, pk=pk)
    used_by = services.policy_version_usage(version)
    if request.method == "POST" and not used_by:
        form = PolicyVersionForm(request.POST, instance=version)
        if form.is_valid():
            with service_errors_on(form):
                services.policy_version_update(version=version, values=form.values(),
                                               actor=request.user)
                messages.success(request, _("已更正政策版本%(v)s。") % {"v": version.version})
                return redirect("params:version_detail", pk=version.pk)
    else:
        form = PolicyVersionForm(instance=version)
    return render(request, "fund/params/version_form.html", {
        "form": form, "version": version, "used_by": used_by, "title": _("更正政策版本"),
    })


@role_required(Role.ADMIN)
def version_delete(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_object_or_404(PolicyVersion, pk=pk)
    if request.method != "POST":
        return redirect("params:version_detail", pk=pk)
    with service_errors_as_messages(request):
        services.policy_version_delete(version=version, actor=request.user)
        messages.success(request, _("已删除政策版本%(v)s。") % {"v": version.version})
        return redirect("params:version_list")
    return redirect("params:version_detail", pk=pk)


# --- The LPR -----------------------------------------------------------------------------------

@role_required(*READERS)
@require_safe
def lpr_list(request: HttpRequest) -> HttpResponse:
    rates = list(LprRate.objects.order_by("-published_on"))
    for newer, older in pairwise(rates):
        newer.change_1y = newer.one_year_percent - older.one_year_percent
        newer.change_5y = newer.five_year_percent - older.five_year_percent
    return render(request, "fund/params/lpr_list.html", {
        "rates": rates, "can_edit": role_of(request.user) == Role.ADMIN,
    })


@role_required(Role.ADMIN)
def lpr_new(request: HttpRequest) -> HttpResponse:
    form = LprForm(request.POST or None)
    jumps: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate = services.lpr_record(
                published_on=data["published_on"], one_year_percent=data["one_year_percent"],
                five_year_percent=data["five_year_percent"],
                jump_confirmed=data["jump_confirmed"], actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            jumps = _jumps_of(exc)
        else:
            messages.success(request, _("已录入%(d)s公布的LPR：1年期%(a)s%%，5年期以上%(b)s%%。")
                             % {"d": rate.published_on.isoformat(),
                                "a": f"{rate.one_year_percent:.2f}",
                                "b": f"{rate.five_year_percent:.2f}"})
            return redirect("params:lpr_list")
    return render(request, "fund/params/lpr_form.html", {"form": form, "jumps": jumps})


def _jumps_of(exc: ValidationError) -> list[str]:
    """The large moves a refused LPR asks to be confirmed, shown beside the confirmation tick."""
    return exc.message_dict.get("jump_confirmed", []) if hasattr(exc, "error_dict") else []


@role_required(Role.ADMIN)
def lpr_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """更正 the rates of a publication no filing was judged with."""
    rate = get_object_or_404(LprRate, pk=pk)
    used_by = services.lpr_usage(rate)
    form = LprForm(request.POST or None, initial={
        "published_on": rate.published_on, "one_year_percent": rate.one_year_percent,
        "five_year_percent": rate.five_year_percent})
    form.fields["published_on"].disabled = True
    jumps: list[str] = []
    if request.method == "POST" and not used_by and form.is_valid():
        data = form.cleaned_data
        try:
            services.lpr_update(rate=rate, one_year_percent=data["one_year_percent"],
                                five_year_percent=data["five_year_percent"],
                                jump_confirmed=data["jump_confirmed"], actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
            jumps = _jumps_of(exc)
        else:
            messages.success(request, _("已更正%(d)s公布的LPR。")
                             % {"d": rate.published_on.isoformat()})
            return redirect("params:lpr_list")
    return render(request, "fund/params/lpr_form.html", {
        "form": form, "jumps": jumps, "rate": rate, "used_by": used_by})


@role_required(Role.ADMIN)
def lpr_delete(request: HttpRequest, pk: int) -> HttpResponse:
    rate = get_object_or_404(LprRate, pk=pk)
    if request.method != "POST":
        return redirect("params:lpr_list")
    with service_errors_as_messages(request):
        services.lpr_delete(rate=rate, actor=request.user)
        messages.success(request, _("已删除%(d)s公布的LPR。")
                         % {"d": rate.published_on.isoformat()})
    return redirect("params:lpr_list")
