from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .roles import Role, role_of

# (url name, label, roles that see it)
NAV: tuple[tuple[str, Any, frozenset[Role]], ...] = (
    ("home", _("首页"), frozenset(Role)),
    ("loans:filing_list", _("贷款备案"), frozenset(Role)),
    ("claims:claim_list", _("补偿申报"), frozenset(Role)),
    ("calculator", _("补偿测算"), frozenset({Role.BANK_OFFICER, Role.REVIEWER, Role.ADMIN})),
    ("banks:bank_list", _("合作银行"),
     frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})),
)


def portal(request: HttpRequest) -> dict[str, Any]:
    role = role_of(request.user)
    if role is None:
        return {"current_role": None, "nav_items": []}
    path = request.path
    items = []
    for name, label, roles in NAV:
        if role not in roles:
            continue
        url = reverse(name)
        active = path == url if name == "home" else path.startswith(url)
        items.append({"url": url, "label": label, "active": active})
    return {"current_role": role, "current_role_label": role.label, "nav_items": items}
