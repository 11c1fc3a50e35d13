"""View pieces every stage's screens share: the bank's action page, inline scans, the bank
filter, the role and reverse-relation checks."""

import os
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from banks.models import Bank
from riskcomp.uploads import ALLOWED_TYPES

from ..models import Claim


def action_page(request: HttpRequest, claim: Claim, form: Form, *, title: str, submit: str,
                confirm: str, facts: list[tuple[Any, Any]] | None = None,
                status: int = 200) -> HttpResponse:
    return render(request, "claims/action_form.html", {
        "claim": claim, "form": form, "title": title, "submit_label": submit,
        "confirm": confirm, "facts": facts or [],
    }, status=status)


def inline_file(field: Any, filename: str) -> FileResponse:
    """A stored scan shown in the page (PDF viewer or image), after the caller's permission
    check. Stored names carry the extension of the type detected at upload."""
    if not field or not field.name:
        raise Http404(_("没有该文件。"))
    ext = os.path.splitext(field.name)[1].lower()
    types = {v: k for k, v in ALLOWED_TYPES.items()}
    try:
        handle = field.storage.open(field.name, "rb")
    except OSError as exc:
        raise Http404(_("文件不存在或已被移除。")) from exc
    response = FileResponse(handle, as_attachment=False, filename=f"{filename}{ext}",
                            content_type=types.get(ext, "application/octet-stream"))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# The roles that read the custodian's and the bureau's screens (every bank).
STAFF = (Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN)


def bank_filter_choices() -> tuple[tuple[str, str], ...]:
    return tuple((str(pk), name) for pk, name in
                 Bank.objects.order_by("code").values_list("pk", "short_name"))


def is_officer(request: HttpRequest) -> bool:
    return role_of(request.user) == Role.BANK_OFFICER


def has_related(obj: Any, attr: str) -> bool:
    """Whether a reverse one-to-one (payment, confirmation, return) exists."""
    try:
        return getattr(obj, attr) is not None
    except ObjectDoesNotExist:
        return False
