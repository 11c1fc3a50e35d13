from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The screens that read across every business app: the role-aware home and the audit
    log search. It sits above the business apps and nothing below imports from it."""

    name = "portal"
    verbose_name = _("首页与审计")
