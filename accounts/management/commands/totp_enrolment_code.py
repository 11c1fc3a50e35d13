"""Issue an authenticator enrolment code on the server itself: for the first administrator, whom
no one can issue one in the portal, and for an administrator who lost their phone."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts import services


class Command(BaseCommand):
    help = "为用户签发一次性身份验证器绑定码（仅显示一次）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["username"], is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"没有启用的用户 {options['username']}") from exc
        code, row = services.totp_enrolment_code_issue(user=user, actor=None)
        until = f"{timezone.localtime(row.expires_at):%Y-%m-%d %H:%M}"
        self.stdout.write(f"{user.get_username()} 的绑定码：{code}（有效至 {until}，仅显示这一次）")
