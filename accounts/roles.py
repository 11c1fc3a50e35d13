"""The portal's roles. Each is a Django group; a bank officer additionally holds the
``banks.act_for_bank`` object permission on the Bank rows they act for."""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    BANK_OFFICER = "bank_officer"
    REVIEWER = "custodian_reviewer"
    APPROVER = "bureau_approver"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.BANK_OFFICER: _("银行经办人员"),
    Role.REVIEWER: _("托管机构审核人员"),
    Role.APPROVER: _("财政国资局确认人员"),
    Role.AUDITOR: _("审计人员"),
    Role.ADMIN: _("系统管理员"),
}

# Groups created by migration; the admin role is Django's superuser flag.
GROUP_ROLES = (Role.BANK_OFFICER, Role.REVIEWER, Role.APPROVER, Role.AUDITOR)
# Roles that see every bank's records (read); the custodian and bureau act across banks.
CROSS_BANK_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})


# The user's role group, annotated on the user read for each request (accounts.auth_backends).
ROLE_GROUP_ATTR = "riskcomp_role_group"


def role_group_subquery() -> Any:
    """The name of the user's first role group in ``GROUP_ROLES`` order (None without one), for
    ``annotate`` on a query of users."""
    from django.contrib.auth.models import Group
    from django.db.models import Case, OuterRef, Subquery, Value, When

    rank = Case(*(When(name=r.value, then=Value(i)) for i, r in enumerate(GROUP_ROLES)))
    return Subquery(Group.objects.filter(user=OuterRef("pk"),
                                         name__in=[r.value for r in GROUP_ROLES])
                    .order_by(rank).values("name")[:1])


def role_of(user: Any) -> Role | None:
    """The user's role, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_riskcomp_role", "unset")
    if cached != "unset":
        return cast("Role | None", cached)
    role: Role | None = None
    if user.is_superuser:
        role = Role.ADMIN
    else:
        if hasattr(user, ROLE_GROUP_ATTR):  # read with the user (accounts.auth_backends)
            names = {getattr(user, ROLE_GROUP_ATTR)}
        else:
            names = set(user.groups.values_list("name", flat=True))
        role = next((r for r in GROUP_ROLES if r.value in names), None)
    user._riskcomp_role = role
    return role


def role_required(*roles: Role) -> Callable[..., Any]:
    """View decorator: login, then one of ``roles`` (403 otherwise)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if role_of(request.user) not in roles:
                raise PermissionDenied(_("您的角色无权访问该页面。"))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


ANY_ROLE = tuple(Role)
