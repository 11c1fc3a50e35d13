from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("补偿申报")

    def ready(self) -> None:
        from fund.calendar_hooks import register_deadline_source

        from .recovery_deadlines import RECOVERY_DEADLINES

        register_deadline_source(RECOVERY_DEADLINES)
