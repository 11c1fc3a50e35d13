from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("贷款备案")

    def ready(self) -> None:
        # The jobs app sits below this one: it learns of this app's kinds of work here.
        from . import job_kinds

        job_kinds.register()
