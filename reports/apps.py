from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("报告")

    def ready(self) -> None:
        # The jobs app sits below this one: it learns of this app's kinds of work here.
        from . import job_kinds

        job_kinds.register()
