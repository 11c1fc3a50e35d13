from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("贷款备案")

    def ready(self) -> None:
        # The apps below this one (jobs, fund) learn here of this app's kinds of work, of the
        # deadlines it keeps by the holiday calendar and of its use of policy versions.
        from fund.calendar_hooks import register_deadline_source
        from fund.usage_hooks import register_params_usage

        from . import job_kinds
        from .calendar_deadlines import FILING_DEADLINES
        from .params_usage import FILING_PARAMS_USAGE

        job_kinds.register()
        register_deadline_source(FILING_DEADLINES)
        register_params_usage(FILING_PARAMS_USAGE)
