"""Batch check: ``python manage.py policy_check INPUT.json`` prints one verdict per case, in order,
as a JSON list on stdout. A malformed case gets a verdict with an ``error``, never a traceback."""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from riskcomp.policy.batch import run_cases
from riskcomp.policy.context import PolicyContext, default_context


def _context() -> PolicyContext:
    """The policy data staff maintain in the database; the engine's defaults (the same figures,
    seeded by migration) when the database is not set up, so the check runs on a bare checkout."""
    from fund.selectors import policy_context

    try:
        ctx = policy_context()
    except DatabaseError:
        return default_context()
    return ctx if ctx.params else default_context()


class Command(BaseCommand):
    help = "Judge a JSON list of cases (loan, suspension, return, workdays) with the policy engine."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("input", help="JSON file holding a list of cases ('-' for stdin)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["input"]
        try:
            if path == "-":
                data = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
        except FileNotFoundError as exc:
            raise CommandError(f"file not found: {path}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"not valid JSON: {exc}") from exc
        if not isinstance(data, list):
            raise CommandError("the input must be a JSON list of cases")
        results = run_cases(data, _context())
        self.stdout.write(json.dumps(results, ensure_ascii=False, indent=2))
