"""The 变更记录 section of a record's page: who sees it is a matter of role, what it holds is
the audit log's (``riskcomp.audit``)."""

from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse

from riskcomp.audit import audit_entries_for

from .roles import Role, role_of

# Roles that see a record's trail on its page: the custodian, the bureau, auditors and the
# administrator. Bank officers do not: the trail names other parties' staff and addresses.
TRAIL_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})


def trail_context(user: Any, obj: models.Model, related: Iterable[QuerySet[Any]] = ()
                  ) -> dict[str, Any]:
    """The template context of a record page's 变更记录 section
    (``components/audit_trail.html``), empty for roles that do not see it."""
    if role_of(user) not in TRAIL_ROLES:
        return {"trail_visible": False}
    rows, total = audit_entries_for(obj, related)
    content_type = ContentType.objects.get_for_model(obj)
    return {"trail_visible": True, "trail": rows, "trail_total": total,
            "trail_url": f"{reverse('audit:search')}?model={content_type.pk}&object={obj.pk}"}
