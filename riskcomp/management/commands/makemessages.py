"""``makemessages`` that also takes ``--keyword``: the policy engine marks its messages with
``N_`` (gettext_noop) and views with ``_lazy`` (gettext_lazy), names xgettext does not know, so
without it those strings would silently stay untranslated."""

from typing import Any

from django.core.management.base import CommandParser
from django.core.management.commands import makemessages


class Command(makemessages.Command):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--keyword",
            action="append",
            default=[],
            metavar="NAME",
            help="Another function name that marks a translatable string (passed to xgettext); "
            "use it more than once for several names.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.xgettext_options = [
            *makemessages.Command.xgettext_options,
            *(f"--keyword={name}" for name in options["keyword"]),
        ]
        super().handle(*args, **options)
