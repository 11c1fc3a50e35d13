from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, role_of

# (url name, label, roles that see it)
NAV: tuple[tuple[str, Any, frozenset[Role]], ...] = (
    ("home", _("首页"), frozenset(Role)),
    ("loans:filing_list", _("贷款备案"), frozenset(Role)),
    ("claims:claim_list", _("补偿申报"), frozenset(Role)),
    ("claims:review_queue", _("待审队列"), frozenset({Role.REVIEWER, Role.ADMIN})),
    ("claims:recovery_list", _("回收返还"), frozenset({Role.BANK_OFFICER})),
    ("calculator", _("补偿测算"), frozenset({Role.BANK_OFFICER, Role.REVIEWER, Role.ADMIN})),
    ("claims:payment_list", _("拨付"), frozenset({Role.REVIEWER})),
    ("claims:return_list", _("返还"), frozenset({Role.REVIEWER})),
    ("claims:proposal_list", _("初审意见"),
     frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})),
    ("claims:writeoff_list", _("核销"),
     frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})),
    ("fund:overview", _("资金"),
     frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})),
    ("claims:spotcheck_list", _("抽查"), frozenset({Role.REVIEWER, Role.AUDITOR})),
    ("reports:report_list", _("报告"),
     frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})),
    ("reports:performance", _("绩效"), frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR})),
    ("enterprises:enterprise_list", _("借款企业"), frozenset({Role.REVIEWER})),
    ("banks:bank_list", _("合作银行"),
     frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})),
    ("audit:search", _("审计日志"), frozenset({Role.AUDITOR, Role.ADMIN})),
    ("jobs:job_list", _("后台任务"), frozenset({Role.REVIEWER, Role.ADMIN})),
    ("params:version_list", _("参数维护"), frozenset({Role.ADMIN})),
)


# Pages that belong to an entry whose address is not a prefix of theirs.
NAV_PAGES: dict[str, frozenset[str]] = {
    "claims:review_queue": frozenset({"claims:review", "claims:document_inline"}),
    "claims:proposal_list": frozenset({"claims:proposal_withdraw"}),
}


def portal(request: HttpRequest) -> dict[str, Any]:
    role = role_of(request.user)
    if role is None:
        return {"current_role": None, "nav_items": []}
    path = request.path
    items = [{"name": name, "url": reverse(name), "label": label, "active": False}
             for name, label, roles in NAV if role in roles]
    view = request.resolver_match.view_name if request.resolver_match else ""
    owner = [i for i in items if view in NAV_PAGES.get(i["name"], ())]
    # Several entries share a prefix (/claims/ and /claims/queue/): the longest match is current.
    matches = owner or [i for i in items
                        if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    ctx: dict[str, Any] = {"current_role": role, "current_role_label": role.label,
                           "nav_items": items}
    if role is Role.BANK_OFFICER:
        from banks.selectors import suspension_notices_for

        # A suspended bank's officers see on every page since when, why and what they may do;
        # read only when a page shows it (not for htmx fragments).
        user = request.user
        ctx["suspension_notices"] = SimpleLazyObject(lambda: suspension_notices_for(user))
    return ctx
