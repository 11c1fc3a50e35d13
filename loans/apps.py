from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("贷款备案")

    def ready(self) -> None:
        from fund.calendar_hooks import register_deadline_source
        from fund.usage_hooks import register_params_usage

        from .calendar_deadlines import FILING_DEADLINES
        from .params_usage import FILING_PARAMS_USAGE

        register_deadline_source(FILING_DEADLINES)
        register_params_usage(FILING_PARAMS_USAGE)
