"""Demo data: ``python manage.py load_demo [--reset] [--seed N]``.

Loads three partner banks, about sixty BDA enterprises, some three hundred filed loans (2025Q3 to
2026Q3), their five-tier classification history, claims in every status of the pipeline with
their history, payments, recoveries, returns, a write-off, a spot check and the fund's ledger.
The stages live in this app's modules: every claim, proposal, decision, payment, recovery, return,
write-off and ledger entry is made by the service a user's action calls, on its business date,
and the suspension is recomputed after each step that moves its figures, so the bank that
crosses the thresholds is suspended from that day on and nothing is paid to it after.

Every verdict comes from the policy engine: loans are filed through ``loans.services
.filings_commit`` (which calls ``decide_loan`` with ``policy_context()`` and the bank's agreement
schemes), so only loans the rules accept are stored, with the snapshot the decision was made on.
The data is the same for the same ``--seed``; "today" is fixed at 2026-11-22.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from banks.models import Bank, Branch, CooperationAgreement, SuspensionState
from claims.models import (
    Claim,
    Confirmation,
    Payment,
    Proposal,
    Recovery,
    ReturnPayment,
    SpotCheck,
    WriteOff,
)
from demo.clock import business_clock
from demo.documents import logins_table
from demo.loader import DemoLoader, wipe_demo
from demo.specs import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DEMO_REPORT_DAYS_AFTER,
    DEMO_REPORT_PERIODS,
    DEMO_TODAY,
    DEMO_USERNAMES,
    DEMO_USERS,
    _at,
)
from fund.models import LedgerEntry
from fund.selectors import fund_balance
from loans.models import ClassificationReport, Enterprise, LoanFiling

__all__ = ["DEMO_PASSWORD", "DEMO_TODAY", "DEMO_USERS", "Command"]


class Command(BaseCommand):
    help = (
        "载入演示数据（三家银行、约60家企业、约300笔备案、各状态的补偿申报、资金台账）。"
        "Load demo data into an empty, migrated database: three banks, ~60 enterprises, ~300 "
        "filed loans, claims in every status, payments, returns, a write-off and the fund "
        "ledger, each made by the portal's services on its business date; one bank crosses the "
        "suspension thresholds, is suspended from that day and its later claims wait. "
        "Deterministic for a given --seed. If the demo users "
        "already exist it loads nothing and prints the logins again. --reset first deletes all "
        "business data (banks, enterprises, filings, claims, ledger, reports) and the demo users "
        "— SQLite only, since the ledger is append-only; on PostgreSQL drop and recreate the "
        "database instead (or simply remove var/db.sqlite3 and run migrate)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true",
                            help="delete existing business data and demo users first (SQLite)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                            help=f"random seed (default {DEFAULT_SEED})")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        user_model = get_user_model()
        exists = user_model.objects.filter(username__in=DEMO_USERNAMES).exists()
        if exists and not options["reset"]:
            self.stdout.write("演示数据已存在，未重复载入。/ Demo data already loaded; nothing "
                              "changed (use --reset to reload).\n")
            self.stdout.write(logins_table())
            return
        if not options["reset"] and Bank.objects.exists():
            raise CommandError("数据库中已有非演示数据，请在空数据库中载入 / the database already "
                               "holds data that is not the demo's; load into an empty database.")
        # The services notify the demo users of every step as it happens; the notifications
        # stay in the portal, the mails to their .invalid addresses are not printed.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), \
                transaction.atomic():
            if options["reset"]:
                wipe_demo()
            loader = DemoLoader(options["seed"], self.stdout)
            loader.run()
        reports = self._half_year_reports()
        self._report(loader, time.monotonic() - started, reports)

    def _half_year_reports(self) -> list[Any]:
        """Request the demo's half-year reports a few days after each half-year ended, on the
        demo's business clock (each in its own transaction: the task renders it once the
        request is committed, at once with the local settings and then on that clock too, else
        on the worker; the report's generation stamp is the request's moment either way)."""
        from reports.figures import report_period
        from reports.models import ReportFile
        from reports.services import report_request

        reviewer = get_user_model().objects.get(username="reviewer")
        requested = []
        for period in DEMO_REPORT_PERIODS:
            end = report_period(ReportFile.Kind.SEMIANNUAL, period)[1]
            moment = _at(min(end + timedelta(days=DEMO_REPORT_DAYS_AFTER), DEMO_TODAY))
            with business_clock(moment), transaction.atomic():
                requested.append(report_request(kind=ReportFile.Kind.SEMIANNUAL, period=period,
                                                actor=reviewer, now=moment))
        for report in requested:
            report.refresh_from_db()
        return requested

    def _report(self, loader: DemoLoader, seconds: float, reports: list[Any]) -> None:
        c = loader.counts
        by_status = Counter(Claim.objects.values_list("status", flat=True))
        refused = ", ".join(f"{code} {n}" for code, n in loader.refused.most_common())
        waiting = ", ".join(f"{step} {n}" for step, n in sorted(loader.stalled.items()))
        suspended = SuspensionState.objects.filter(is_auto_suspended=True).select_related("bank")
        lines = [
            f"演示数据已载入（{seconds:.1f} 秒）/ Demo data loaded in {seconds:.1f} s",
            f"  银行 banks {Bank.objects.count()}, 支行 branches {Branch.objects.count()}, "
            f"合作协议 agreements {CooperationAgreement.objects.count()}",
            f"  企业 enterprises {Enterprise.objects.count()}, 资质 qualifications "
            f"{c['qualifications']}",
            f"  备案 filings {LoanFiling.objects.count()} (候选 candidates {loader.candidates}; "
            f"规则退回 refused {loader.refused_rows}: {refused or '—'})",
            f"  五级分类 classification reports {ClassificationReport.objects.count()}, 不良 NPL "
            f"loans {c['npl_loans']}, 关注 special mention {c['special_mention_loans']}",
            f"  补偿申报 claims {sum(by_status.values())}: " + ", ".join(
                f"{s.label} {by_status[s.value]}" for s in Claim.Status),
            f"  初审意见 proposals {Proposal.objects.count()}, 财政确认 confirmations "
            f"{Confirmation.objects.count()}, 拨付 payments {Payment.objects.count()}, 追偿 "
            f"recoveries {Recovery.objects.count()}, 返还 returns "
            f"{ReturnPayment.objects.count()}, 核销 write-offs {WriteOff.objects.count()}, 抽查 "
            f"spot checks {SpotCheck.objects.count()}",
            f"  规则当日不允许、仍在等待的步骤 steps the rules refused on their day: "
            f"{waiting or '—'}",
            f"  资金台账 ledger entries {LedgerEntry.objects.count()}, 余额 balance "
            f"¥{fund_balance():,.2f}",
            "  暂停 suspended: " + ", ".join(f"{s.bank.short_name} {s.scheme}"
                                             for s in suspended),
            "  半年度报告 half-year reports: " + ", ".join(
                f"{r.period} v{r.version} {r.get_status_display()}" for r in reports),
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(logins_table())
