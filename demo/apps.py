from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data loader (``manage.py load_demo``): it drives every business app's services,
    so it sits above them all."""

    name = "demo"
    verbose_name = _("演示数据")
