from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账号安全")

    def ready(self) -> None:
        from django.contrib.auth.models import AbstractUser, User

        from riskcomp.labels import person_name

        from . import signals  # noqa: F401  (connects the login/logout receivers)

        # Django's get_full_name is "first last" (丽娜 王); every screen, notification, export,
        # PDF and the admin call it, so it is the one place to put the family name first.
        def get_full_name(self: AbstractUser) -> str:
            return person_name(self)

        User.get_full_name = get_full_name  # type: ignore[method-assign]
