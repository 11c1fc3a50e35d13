"""Demo data: ``python manage.py load_demo [--reset] [--seed N]``.

Loads three partner banks, about sixty BDA enterprises, some three hundred filed loans (2025Q3 to
2026Q3), their five-tier classification history, claims in every status of the pipeline with
their history, payments, recoveries, returns, a write-off and the fund's ledger, then lets
``banks.services.suspension_recompute`` suspend the one bank the figures say must be suspended.

Every verdict comes from the policy engine: loans are filed through ``loans.services
.filings_commit`` (which calls ``decide_loan`` with ``policy_context()`` and the bank's agreement
schemes), so only loans the rules accept are stored, with the snapshot the decision was made on.
The data is the same for the same ``--seed``; "today" is fixed at 2026-11-22.
"""

from __future__ import annotations

import random
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from hashlib import sha256
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import ProtectedError

from banks.models import Bank, Branch, CooperationAgreement, SuspensionChange, SuspensionState
from banks.services import officer_grant, suspension_recompute
from claims.models import (
    Claim,
    ClaimDocument,
    ClaimStatusChange,
    Confirmation,
    Payment,
    Proposal,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    ReviewDecision,
    SpotCheck,
    SpotCheckItem,
    SupplementRequest,
    WriteOff,
)
from claims.services.proposal import proposal_number_stem
from fund.models import LedgerEntry
from fund.selectors import policy_context
from loans.models import ClassificationReport, Enterprise, ImportBatch, LoanFiling, Qualification
from loans.services import FilingRequest, QualificationInput, filings_commit
from riskcomp.choices import (
    Classification,
    EnterpriseKind,
    EnterpriseSize,
    LoanType,
    QualificationType,
    ReasonCode,
    Scheme,
)
from riskcomp.labels import quarter_label
from riskcomp.policy.compensation import compensation_amount, return_amount
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.credit_code import CHARSET, credit_code_check_char
from riskcomp.policy.deadlines import (
    add_months,
    claim_deadline,
    filing_deadline,
    next_quarter_start,
    quarter_of,
    recovery_deadlines,
)
from riskcomp.policy.enterprise_size import Industry, classify_size
from riskcomp.policy.fund import management_fee
from riskcomp.policy.params import SchemeParams, choose_version
from riskcomp.policy.types import Scheme as PolicyScheme
from riskcomp.roles import Role

DEFAULT_SEED = 20261122
DEMO_TODAY = date(2026, 11, 22)  # the demo's "today": every date below is on or before it
DEMO_PASSWORD = "Demo-2026-pass"  # noqa: S105 - demo logins only, printed on screen
TZ = ZoneInfo("Asia/Shanghai")
QUARTERS = ((2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3))
LAST_REPORTED_QUARTER_END = date(2026, 9, 30)
FEN = Decimal("0.01")
WAN = Decimal(10000)
CAPITAL = Decimal("100000000.00")  # MICRO Art. 20, TECH Art. 21
MANAGEMENT_FEE_2025 = management_fee(Decimal("100000000.00"))  # on the 2025 fund size
DEPOSIT_RATE = Decimal("0.0115")  # agreement deposit, for the interest entries

S = Claim.Status


# --- who and what ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    last_name: str
    first_name: str
    bank_code: str | None
    sees_zh: str
    sees_en: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("bank_officer", Role.BANK_OFFICER, "王", "丽娜", "BOB-BDA",
             "北京银行经开区支行：本行备案、五级分类、补偿申报、追偿返还（小微+科创）",
             "own bank only (MICRO + TECH): filings, classifications, claims, returns"),
    DemoUser("bank_officer2", Role.BANK_OFFICER, "张", "伟", "ICBC-BDA",
             "工商银行经开区支行：仅本行数据（小微；已按小微办法第八条暂停）",
             "own bank only (MICRO; suspended under MICRO Art. 8)"),
    DemoUser("bank_officer3", Role.BANK_OFFICER, "刘", "洋", "CMB-YZ",
             "招商银行亦庄支行：仅本行数据（科创）",
             "own bank only (TECH)"),
    DemoUser("reviewer", Role.REVIEWER, "陈", "静", None,
             "全部银行：初审、补充材料、初审意见、拨付、返还确认、暂停",
             "all banks: review, proposals, payments, returns, suspension"),
    DemoUser("approver", Role.APPROVER, "李", "明", None,
             "全部银行：财政确认、核销确认、资金台账",
             "all banks: bureau confirmation, write-offs, ledger"),
    DemoUser("auditor", Role.AUDITOR, "赵", "敏", None,
             "全部数据只读，可下载报告",
             "everything read-only; reports"),
    DemoUser("admin", Role.ADMIN, "孙", "强", None,
             "系统管理（/admin/）及全部数据",
             "Django admin and everything"),
)
DEMO_USERNAMES = tuple(u.username for u in DEMO_USERS)
# The half-years the demo's loans span, reported as the reviewer would request them, so that
# auditors have reports to read; the 2025 annual report is left for the reviewer to generate.
DEMO_REPORT_PERIODS = ("2025H2", "2026H1")


@dataclass(frozen=True)
class BankSpec:
    code: str
    name: str
    short_name: str
    schemes: tuple[str, ...]
    branches: tuple[tuple[str, str, str], ...]
    per_quarter: int  # candidate loans a quarter


BANKS: tuple[BankSpec, ...] = (
    BankSpec("BOB-BDA", "北京银行股份有限公司经济技术开发区支行", "北京银行经开区支行",
             (Scheme.MICRO, Scheme.TECH),
             (("BDA01", "经济技术开发区支行营业部", "北京经济技术开发区荣华中路10号"),
              ("BDA02", "亦庄科创街分理处", "北京经济技术开发区科创十三街18号"),
              ("BDA03", "博兴路分理处", "北京经济技术开发区博兴六路9号")),
             32),
    BankSpec("ICBC-BDA", "中国工商银行股份有限公司北京经济技术开发区支行", "工商银行经开区支行",
             (Scheme.MICRO,),
             (("0200-01", "经济技术开发区支行营业室", "北京经济技术开发区地盛北街1号"),
              ("0200-02", "亦庄文化园分理处", "北京经济技术开发区景园北街2号")),
             30),
    BankSpec("CMB-YZ", "招商银行股份有限公司北京亦庄支行", "招商银行亦庄支行",
             (Scheme.TECH,),
             (("YZ01", "亦庄支行营业部", "北京经济技术开发区宏达北路12号"),
              ("YZ02", "亦庄科技园小企业服务中心", "北京经济技术开发区经海路5号")),
             16),
)

GUARANTORS = ("北京市融资担保有限公司", "北京中关村科技融资担保有限公司",
              "北京亦庄国际融资担保有限公司")

# What each claim status of the demo needs: (bank, scheme, status, how many).
CLAIM_PLAN: tuple[tuple[str, str, str, int], ...] = (
    ("ICBC-BDA", Scheme.MICRO, S.WRITTEN_OFF, 1),
    ("ICBC-BDA", Scheme.MICRO, S.PAID, 5),
    ("BOB-BDA", Scheme.TECH, S.PAID, 2),
    ("CMB-YZ", Scheme.TECH, S.PAID, 2),
    ("BOB-BDA", Scheme.MICRO, S.PAID, 1),
    ("BOB-BDA", Scheme.MICRO, S.CONFIRMED, 1),
    ("CMB-YZ", Scheme.TECH, S.CONFIRMED, 1),
    ("BOB-BDA", Scheme.MICRO, S.BUREAU_REJECTED, 1),
    ("CMB-YZ", Scheme.TECH, S.BUREAU_REJECTED, 1),
    ("BOB-BDA", Scheme.MICRO, S.PROPOSED, 2),
    ("BOB-BDA", Scheme.MICRO, S.PASSED, 1),
    ("BOB-BDA", Scheme.TECH, S.PASSED, 1),
    ("ICBC-BDA", Scheme.MICRO, S.REJECTED, 1),
    ("BOB-BDA", Scheme.TECH, S.REJECTED, 1),
    ("ICBC-BDA", Scheme.MICRO, S.SUPPLEMENT_REQUESTED, 1),
    ("BOB-BDA", Scheme.TECH, S.SUPPLEMENT_REQUESTED, 1),
    ("ICBC-BDA", Scheme.MICRO, S.SUBMITTED, 1),
    ("BOB-BDA", Scheme.MICRO, S.SUBMITTED, 1),
    ("CMB-YZ", Scheme.TECH, S.SUBMITTED, 1),
)
# Non-performing loans the banks have not claimed yet.
UNCLAIMED_NPL = (("ICBC-BDA", Scheme.MICRO, 3), ("BOB-BDA", Scheme.MICRO, 2),
                 ("BOB-BDA", Scheme.TECH, 2), ("CMB-YZ", Scheme.TECH, 2))
# When the first non-performing classification falls, so that each status's later steps fit
# before DEMO_TODAY (proposals go quarterly, TECH Art. 15).
NPL_WINDOWS: dict[str | None, tuple[date, date]] = {
    S.WRITTEN_OFF: (date(2025, 11, 1), date(2026, 3, 20)),
    S.PAID: (date(2025, 11, 1), date(2026, 6, 10)),
    S.CONFIRMED: (date(2026, 6, 20), date(2026, 8, 20)),
    S.BUREAU_REJECTED: (date(2026, 6, 20), date(2026, 8, 20)),
    S.PROPOSED: (date(2026, 9, 20), date(2026, 10, 8)),
    S.PASSED: (date(2026, 9, 20), date(2026, 10, 25)),
    S.REJECTED: (date(2026, 1, 1), date(2026, 9, 30)),
    S.SUPPLEMENT_REQUESTED: (date(2026, 9, 20), date(2026, 10, 25)),
    S.SUBMITTED: (date(2026, 10, 20), date(2026, 11, 6)),
    None: (date(2026, 8, 15), date(2026, 11, 13)),
}
OPEN_CLAIM_STATUSES = (S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.PASSED, S.PROPOSED, S.CONFIRMED,
                       S.PAID)
DECIDED_BY_BUREAU = (S.CONFIRMED, S.BUREAU_REJECTED, S.PAID, S.WRITTEN_OFF)

# --- enterprises ----------------------------------------------------------------------------

ZIHAO_FIRST = "华博中京亦瑞恒德精睿新科鼎汇盛和永旭源晶清云领维万同长宇泰嘉正弘"
ZIHAO_SECOND = "芯创微擎瀚衡润禾泰康析诚达普锐信晖智晟明元利奥昇光启方研帆航峰"
PHRASES = {
    Industry.INDUSTRY: ("集成电路", "微电子", "智能装备", "精密机械", "医疗器械", "生物医药",
                        "新材料", "机器人", "光电技术", "半导体设备", "汽车电子", "智能制造"),
    Industry.SOFTWARE_IT: ("信息技术", "软件技术", "数据科技", "网络科技", "人工智能科技"),
    Industry.OTHER: ("生物技术", "检测技术", "医药研发", "环境科技"),
    Industry.WHOLESALE: ("商贸", "医药供应链", "电子元器件"),
}
INDIVIDUAL_SHOPS = (("五金经营部", Industry.RETAIL), ("餐饮店", Industry.CATERING),
                    ("便利店", Industry.RETAIL), ("面馆", Industry.CATERING),
                    ("电子产品经营部", Industry.RETAIL), ("烘焙坊", Industry.CATERING),
                    ("办公用品商店", Industry.RETAIL), ("快餐店", Industry.CATERING))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭"
# (industry, size) -> employees low/high, revenue low/high in 万元 (工信部联企业〔2011〕300号)
FIGURES: dict[tuple[Industry, str], tuple[int, int, int, int]] = {
    (Industry.INDUSTRY, "medium"): (300, 900, 2000, 30000),
    (Industry.INDUSTRY, "small"): (20, 299, 300, 1999),
    (Industry.INDUSTRY, "micro"): (3, 19, 60, 299),
    (Industry.SOFTWARE_IT, "medium"): (100, 299, 1000, 9000),
    (Industry.SOFTWARE_IT, "small"): (10, 99, 50, 999),
    (Industry.SOFTWARE_IT, "micro"): (3, 9, 20, 49),
    (Industry.OTHER, "medium"): (100, 299, 800, 8000),
    (Industry.OTHER, "small"): (10, 99, 200, 3000),
    (Industry.OTHER, "micro"): (2, 9, 30, 300),
    (Industry.WHOLESALE, "medium"): (20, 199, 5000, 30000),
    (Industry.WHOLESALE, "small"): (5, 19, 1000, 4999),
    (Industry.WHOLESALE, "micro"): (2, 4, 100, 999),
    (Industry.RETAIL, "micro"): (1, 9, 20, 99),
    (Industry.CATERING, "micro"): (2, 9, 30, 99),
}
# Loan sizes in 万元 by enterprise size.
AMOUNTS_WAN = {
    "individual": (50, 60, 80, 100, 150, 200),
    "micro": (50, 80, 100, 150, 200, 300),
    "small": (100, 150, 200, 300, 500, 600, 800, 1000),
    "medium": (300, 500, 800, 1000, 1500, 2000, 3000),
}
# What a business of this size owes the demo banks at most, all banks together (CNY).
CAPACITY = {"individual": Decimal("4000000"), "micro": Decimal("10000000"),
            "small": Decimal("30000000"), "medium": Decimal("45000000")}
QUAL_TYPES_ORDER = (QualificationType.HIGH_TECH, QualificationType.BEIJING_SRDI,
                    QualificationType.BEIJING_LITTLE_GIANT,
                    QualificationType.NATIONAL_LITTLE_GIANT, QualificationType.SINGLE_CHAMPION)
QUAL_WEIGHTS = (45, 30, 12, 8, 5)


# --- helpers --------------------------------------------------------------------------------


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def _money(value: Decimal) -> Decimal:
    return value.quantize(FEN)


def _quarter_label(day: date) -> str:
    year, q = quarter_of(day)
    return f"{year}Q{q}"


def _quarter_ends(start: date, end: date) -> list[date]:
    out = []
    for year in (2025, 2026):
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            d = date(year, month, day)
            if start <= d <= end:
                out.append(d)
    return out


def _pdf(title: str, lines: Iterable[str]) -> bytes:
    """A one-page PDF (Helvetica, ASCII text): small, valid, opened by any viewer."""

    def esc(text: str) -> str:
        text = text.encode("ascii", "replace").decode("ascii")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 16 Tf", "72 770 Td", f"({esc(title)}) Tj", "/F1 11 Tf", "0 -30 Td",
           "16 TL"]
    ops += [f"({esc(line)}) Tj T*" for line in lines]
    ops += ["T*", "(DEMO DOCUMENT - generated by manage.py load_demo) Tj", "ET"]
    stream = "\n".join(ops).encode("ascii")
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1, xref)
    return bytes(out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def logins_table() -> str:
    """The demo logins, Chinese first, with English."""
    header = ("角色 Role", "用户名 Username", "密码 Password", "可见范围 What they see")
    rows = [header]
    for u in DEMO_USERS:
        rows.append((f"{u.role.label} {u.role.value}", u.username, DEMO_PASSWORD,
                     f"{u.sees_zh} / {u.sees_en}"))
    widths = [max(_width(r[i]) for r in rows) for i in range(3)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(_pad(cell, widths[j]) for j, cell in enumerate(row[:3]))
                     + "  " + row[3])
        if i == 0:
            lines.append("-" * (sum(widths) + 6 + _width(header[3])))
    return "\n".join(lines)


# --- the loader -----------------------------------------------------------------------------


@dataclass
class DemoEnterprise:
    obj: Enterprise
    industry: Industry
    quals: tuple[QualificationInput, ...]
    external_debt: Decimal  # loans from outside the demo banks, as a credit report shows them
    banks: list[str] = field(default_factory=list)
    had_loan: bool = False

    @property
    def tech_fit(self) -> bool:
        e = self.obj
        return (e.kind == EnterpriseKind.COMPANY and e.size in ("medium", "small")
                and e.is_tech_scope and e.is_in_bda and e.is_tech_conduct_ok)


@dataclass
class Candidate:
    bank: BankSpec
    ent: DemoEnterprise
    drawdown: date
    order: int
    filed_on: date
    request: FilingRequest | None = None


@dataclass
class ClaimPlan:
    filing: LoanFiling
    status: str
    npl_on: date
    base: Decimal
    with_supplement: bool = False
    times: dict[str, datetime] = field(default_factory=dict)
    claim: Claim = field(default_factory=Claim)


class DemoLoader:
    def __init__(self, seed: int, log: Any) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
        self.log = log
        self.ctx: PolicyContext = policy_context()
        self.cal = self.ctx.calendar
        self.users: dict[str, Any] = {}
        self.banks: dict[str, Bank] = {}
        self.branches: dict[str, list[Branch]] = {}
        self.enterprises: list[DemoEnterprise] = []
        self.refused: Counter[str] = Counter()
        self.candidates = 0
        self.refused_rows = 0
        self.balance = Decimal("0.00")
        self.counts: Counter[str] = Counter()

    # -- small utilities --

    def params(self, scheme: str, on: date) -> SchemeParams:
        found = choose_version(self.ctx.params, PolicyScheme(scheme), on)
        if found is None or not found.in_force:
            raise CommandError(f"no policy version of {scheme} on {on}; run migrate first")
        return found.params

    def workday_on_or_after(self, day: date) -> date:
        while not self.cal.is_workday(day):
            day += timedelta(days=1)
        return day

    def workday_on_or_before(self, day: date) -> date:
        while not self.cal.is_workday(day):
            day -= timedelta(days=1)
        return day

    def stamp(self, day: date, start_hour: int = 9, end_hour: int = 17) -> datetime:
        return _at(day, self.rng.randint(start_hour, end_hour - 1), self.rng.randrange(0, 60, 5))

    def save_pdf(self, instance: Any, field_name: str, filename: str, title: str,
                 lines: Sequence[str]) -> bytes:
        data = _pdf(title, lines)
        getattr(instance, field_name).save(filename, ContentFile(data), save=False)
        self.counts["files"] += 1
        return data

    # -- the steps --

    def run(self) -> None:
        self.load_users()
        self.load_banks()
        self.load_enterprises()
        self.load_filings()
        filings = list(LoanFiling.objects.select_related("bank", "enterprise").order_by("pk"))
        plans, unclaimed = self.plan_npl(filings)
        self.load_loan_history(filings, plans, unclaimed)
        self.load_claims(plans)
        recovered = self.load_recoveries_and_ledger(plans)
        self.finish_filings(filings, plans, unclaimed, recovered)
        suspension_recompute(actor=None)
        suspended = list(SuspensionState.objects.filter(is_auto_suspended=True)
                         .values_list("bank__code", "scheme"))
        if suspended != [("ICBC-BDA", Scheme.MICRO)]:
            raise CommandError(f"demo design failed for this seed: suspended {suspended}")

    def load_users(self) -> None:
        user_model = get_user_model()
        password = make_password(DEMO_PASSWORD)  # one hash for all: the password is public
        groups = {g.name: g for g in Group.objects.all()}
        for spec in DEMO_USERS:
            is_admin = spec.role is Role.ADMIN
            user = user_model.objects.create(
                username=spec.username, first_name=spec.first_name, last_name=spec.last_name,
                email=f"{spec.username}@demo.invalid", password=password,
                is_staff=is_admin, is_superuser=is_admin)
            if spec.role in (Role.REVIEWER, Role.APPROVER, Role.AUDITOR):
                group = groups.get(spec.role.value)
                if group is None:
                    raise CommandError(f"group {spec.role.value} is missing; run migrate first")
                user.groups.add(group)
            self.users[spec.username] = user

    def officer(self, bank_code: str) -> Any:
        return next(self.users[u.username] for u in DEMO_USERS if u.bank_code == bank_code)

    @property
    def reviewer(self) -> Any:
        return self.users["reviewer"]

    @property
    def approver(self) -> Any:
        return self.users["approver"]

    def load_banks(self) -> None:
        for n, spec in enumerate(BANKS, start=1):
            bank = Bank.objects.create(name=spec.name, short_name=spec.short_name, code=spec.code)
            self.banks[spec.code] = bank
            self.branches[spec.code] = Branch.objects.bulk_create(
                Branch(bank=bank, code=code, name=name, address=address)
                for code, name, address in spec.branches)
            for scheme in spec.schemes:
                params = self.params(scheme, date(2025, 6, 30))
                CooperationAgreement.objects.create(
                    bank=bank, scheme=scheme,
                    number=f"JKFB-{'XW' if scheme == Scheme.MICRO else 'KC'}-2025-{n:02d}",
                    signed_on=date(2025, 6, 30), valid_from=params.valid_from,
                    valid_to=params.valid_to,
                    note=f"{params.version}风险补偿合作协议（演示数据）")
        for user_spec in DEMO_USERS:
            if user_spec.bank_code:
                officer_grant(user=self.users[user_spec.username],
                              bank=self.banks[user_spec.bank_code])

    def load_enterprises(self) -> None:
        rng = self.rng
        profiles = ["individual"] * 8 + ["medium"] * 14 + ["small"] * 24 + ["micro"] * 14
        rng.shuffle(profiles)
        company_idx = [i for i, p in enumerate(profiles) if p != "individual"]
        outside_bda = set(rng.sample(company_idx, 3))
        used_codes: set[str] = set()
        used_names: set[str] = set()
        qualified_so_far = 0
        cert_seq = 1000
        rows: list[DemoEnterprise] = []
        for i, profile in enumerate(profiles):
            while True:
                body = ("92110302" if profile == "individual" else "91110302") + "".join(
                    rng.choice(CHARSET) for _ in range(9))
                code = body + credit_code_check_char(body)
                if code not in used_codes:
                    used_codes.add(code)
                    break
            if profile == "individual":
                kind, size = EnterpriseKind.INDIVIDUAL, EnterpriseSize.MICRO
                while True:
                    shop, industry = rng.choice(INDIVIDUAL_SHOPS)
                    name = f"北京经济技术开发区{rng.choice(SURNAMES)}记{shop}"
                    if name not in used_names:
                        break
            else:
                kind, size = EnterpriseKind.COMPANY, EnterpriseSize(profile)
                industry = rng.choices(
                    (Industry.INDUSTRY, Industry.SOFTWARE_IT, Industry.OTHER, Industry.WHOLESALE),
                    weights=(50, 25, 15, 10))[0]
                while True:
                    listed = size == "medium" and rng.random() < 0.3
                    suffix = "股份有限公司" if listed else "有限公司"
                    name = (f"北京{rng.choice(ZIHAO_FIRST)}{rng.choice(ZIHAO_SECOND)}"
                            f"{rng.choice(PHRASES[industry])}{suffix}")
                    if name not in used_names:
                        break
            used_names.add(name)
            emp_lo, emp_hi, rev_lo, rev_hi = FIGURES[(industry, str(size))]
            employees = rng.randint(emp_lo, emp_hi)
            revenue = _money(Decimal(rng.randint(rev_lo * 100, rev_hi * 100)) * 100)
            assets = _money(revenue * Decimal(rng.randint(50, 160)) / 100)
            if classify_size(industry, employees, revenue, assets) != size:
                raise CommandError(f"demo figures give another size for {name}")
            tech_scope = (kind == EnterpriseKind.COMPANY and industry != Industry.WHOLESALE
                          and rng.random() < 0.85)
            quals: list[QualificationInput] = []
            chance = {"medium": 0.7, "small": 0.45, "micro": 0.15}.get(profile, 0.0)
            if tech_scope and rng.random() < chance:
                count = 2 if rng.random() < 0.3 else 1
                types: list[QualificationType] = []
                while len(types) < count:
                    if qualified_so_far < len(QUAL_TYPES_ORDER):
                        t = QUAL_TYPES_ORDER[qualified_so_far]
                    else:
                        t = rng.choices(QUAL_TYPES_ORDER, weights=QUAL_WEIGHTS)[0]
                    qualified_so_far += 1
                    if t not in types:
                        types.append(t)
                for t in types:
                    cert_seq += rng.randint(7, 97)
                    year = rng.choice((2022, 2023, 2023, 2024, 2024, 2025))
                    start = date(year, rng.randint(9, 12), rng.randint(1, 28))
                    quals.append(QualificationInput(
                        type=str(t), certificate_no=self._cert_no(t, year, cert_seq),
                        valid_from=start, valid_to=add_months(start, 36) - timedelta(days=1)))
            debt_wan = {"individual": (0, 50), "micro": (0, 200), "small": (0, 800),
                        "medium": (500, 2500)}[profile]
            rows.append(DemoEnterprise(
                obj=Enterprise(
                    credit_code=code, name=name, kind=kind, size=size,
                    is_in_bda=i not in outside_bda, industry=str(industry), employees=employees,
                    revenue=revenue, total_assets=assets, is_micro_conduct_ok=True,
                    is_tech_conduct_ok=True,
                    is_tech_scope=tech_scope),
                industry=industry, quals=tuple(quals),
                external_debt=Decimal(rng.randint(*debt_wan)) * WAN))
        # Two small tech borrowers meet one scheme's conduct conditions and not the other's:
        # one on the abnormal-operations list (TECH Art. 2) borrows under MICRO, one with a major
        # administrative penalty (MICRO Art. 5(2)) under TECH.
        abnormal_list, penalised = [r.obj for r in rows if r.obj.kind == EnterpriseKind.COMPANY
                                    and r.obj.size == EnterpriseSize.SMALL and r.obj.is_in_bda
                                    and r.obj.is_tech_scope][:2]
        abnormal_list.is_tech_conduct_ok = False
        penalised.is_micro_conduct_ok = False
        Enterprise.objects.bulk_create([r.obj for r in rows])
        saved = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=used_codes)}
        qualifications = []
        for r in rows:
            r.obj = saved[r.obj.credit_code]
            qualifications += [Qualification(enterprise=r.obj, type=q.type,
                                             certificate_no=q.certificate_no,
                                             valid_from=q.valid_from, valid_to=q.valid_to)
                               for q in r.quals]
        Qualification.objects.bulk_create(qualifications)
        self.counts["qualifications"] = len(qualifications)
        # Which banks each enterprise borrows from.
        # Technology borrowers go mostly to the TECH banks, the others to the MICRO ones.
        tech_weights = {"BOB-BDA": 1.0, "ICBC-BDA": 0.5, "CMB-YZ": 2.0}
        micro_weights = {"BOB-BDA": 1.0, "ICBC-BDA": 2.2}
        for r in rows:
            e = r.obj
            if not e.is_in_bda:
                r.banks = [rng.choice([b.code for b in BANKS])]
                continue
            eligible = ["BOB-BDA"]
            if e.size in ("small", "micro"):
                eligible.append("ICBC-BDA")
            if r.tech_fit:
                eligible.append("CMB-YZ")
            weights = tech_weights if r.tech_fit else micro_weights
            first = rng.choices(eligible, weights=[weights[b] for b in eligible])[0]
            r.banks = [first]
            others = [b for b in eligible if b != first]
            if others and rng.random() < 0.35:
                r.banks.append(rng.choice(others))
        self.enterprises = rows

    @staticmethod
    def _cert_no(t: QualificationType, year: int, seq: int) -> str:
        return {
            QualificationType.HIGH_TECH: f"GR{year}11{seq:06d}",
            QualificationType.BEIJING_SRDI: f"{year}ZJTX{seq:04d}",
            QualificationType.BEIJING_LITTLE_GIANT: f"BJXJR{year}{seq:04d}",
            QualificationType.NATIONAL_LITTLE_GIANT: f"GJXJR{year}-{seq:05d}",
            QualificationType.SINGLE_CHAMPION: f"DXGJ{year}-{seq:03d}",
        }[t]

    # -- filings --

    def load_filings(self) -> None:
        rng = self.rng
        # The borrower's loans as its credit report shows them: (bank, drawdown, maturity, CNY).
        debts: dict[str, list[tuple[str, date, date, Decimal]]] = defaultdict(list)
        ious: Counter[str] = Counter()
        batches: dict[tuple[date, str], list[Candidate]] = defaultdict(list)
        pools = {spec.code: [r for r in self.enterprises if spec.code in r.banks]
                 for spec in BANKS}
        loans: Counter[str] = Counter()

        def pick(bank_code: str) -> DemoEnterprise:
            # Borrowers the rules will refuse (outside the BDA) ask less often,
            # and the loans spread over the bank's customers.
            pool = pools[bank_code]
            weights = [(1.0 if r.obj.is_in_bda else 0.25)
                       / (1 + loans[r.obj.credit_code]) for r in pool]
            chosen = rng.choices(pool, weights=weights)[0]
            loans[chosen.obj.credit_code] += 1
            return chosen

        order = 0
        for year, q in QUARTERS:
            start = date(year, 3 * q - 2, 1)
            end = next_quarter_start(start) - timedelta(days=1)
            workdays = [start + timedelta(days=n) for n in range((end - start).days + 1)
                        if self.cal.is_workday(start + timedelta(days=n))]
            candidates: list[Candidate] = []
            for spec in BANKS:
                batch_days = sorted(self.cal.nth_workday_from(next_quarter_start(start), n)
                                    for n in rng.sample(range(3, 14), 2))
                for _ in range(spec.per_quarter):
                    order += 1
                    cand = Candidate(bank=spec, ent=pick(spec.code),
                                     drawdown=rng.choice(workdays), order=order,
                                     filed_on=rng.choice(batch_days))
                    candidates.append(cand)
            candidates.sort(key=lambda c: (c.drawdown, c.order))
            for cand in candidates:
                for _attempt in range(12):
                    if self._fill_request(cand, debts, ious):
                        batches[(cand.filed_on, cand.bank.code)].append(cand)
                        break
                    cand.ent = pick(cand.bank.code)  # this one is at its limits: ask another
        for (filed_on, bank_code), cands in sorted(batches.items()):
            cands.sort(key=lambda c: (c.drawdown, c.order))
            requests = [c.request for c in cands if c.request is not None]
            self.candidates += len(requests)
            _filings, evaluations = filings_commit(
                bank=self.banks[bank_code], requests=requests, actor=self.officer(bank_code),
                ctx=self.ctx, filing_date=filed_on)
            schemes = next(b.schemes for b in BANKS if b.code == bank_code)
            for ev in evaluations:
                if not ev.accepted:
                    self.refused_rows += 1
                    codes = set(ev.codes)
                    if ev.decision is not None:  # what each scheme the bank holds said
                        codes = {str(code) for scheme in schemes
                                 for code in ev.decision.verdicts[PolicyScheme(scheme)].codes}
                    self.refused.update(codes)

    def _fill_request(self, cand: Candidate, debts: dict[str, list[tuple[str, date, date,
                      Decimal]]], ious: Counter[str]) -> bool:
        rng = self.rng
        ent, spec, day = cand.ent, cand.bank, cand.drawdown
        e = ent.obj
        likely_tech = Scheme.TECH in spec.schemes and (ent.tech_fit or Scheme.MICRO not in
                                                        spec.schemes)
        if likely_tech:
            loan_type = rng.choices(
                (LoanType.CREDIT, LoanType.IP_PLEDGE, LoanType.RECEIVABLES_PLEDGE,
                 LoanType.RISK_SHARING),
                weights=(40, 20, 15, 25) if spec.code == "CMB-YZ" else (45, 20, 20, 15))[0]
            cap = Decimal("30000000")
        else:
            loan_type = rng.choices(
                (LoanType.CREDIT, LoanType.IP_PLEDGE, LoanType.RECEIVABLES_PLEDGE),
                weights=(50, 20, 30))[0]
            cap = Decimal("10000000")
        profile = "individual" if e.kind == EnterpriseKind.INDIVIDUAL else str(e.size)
        amount_cny = Decimal(rng.choice(AMOUNTS_WAN[profile])) * WAN
        if likely_tech and profile == "small" and rng.random() < 0.3:
            amount_cny = Decimal(rng.choice((1200, 1500, 2000))) * WAN
        bank_out = sum((a for b, d, m, a in debts[e.credit_code]
                        if b == spec.code and d <= day <= m), Decimal(0))
        if bank_out + amount_cny > cap and rng.random() < 0.92:
            room = ((cap - bank_out) / (10 * WAN)).to_integral_value(ROUND_DOWN) * 10 * WAN
            if room < 50 * WAN:
                return False  # the bank knows the cap and does not lend
            amount_cny = room
        owed = sum((a for _b, d, m, a in debts[e.credit_code] if d <= day <= m), Decimal(0))
        if owed + amount_cny > CAPACITY[profile]:
            return False  # more than a business of this size borrows
        currency, fx_rate, amount = "CNY", None, amount_cny
        if rng.random() < 0.04:
            currency = "USD"
            fx_rate = Decimal("7.1000") + Decimal(rng.randint(0, 250)) / 10000
            amount = (amount_cny / fx_rate / WAN).to_integral_value(ROUND_DOWN) * WAN
            amount = max(amount, Decimal(100000))
            amount_cny = _money(amount * fx_rate)
        amount = _money(amount)
        if rng.random() < 0.03:
            rate = Decimal(rng.randint(91, 96)) * Decimal("0.05")  # above LPR + 150 bp
        else:
            rate = Decimal(rng.randint(56, 88)) * Decimal("0.05")  # 2.80 % to 4.40 %
        months = rng.choices((12, 24, 36), weights=(55, 30, 15))[0]
        maturity = add_months(day, months)
        roll = rng.random()
        if roll < 0.015:
            report_date = day + timedelta(days=25)  # too late (CREDIT_REPORT_DATE)
        elif roll < 0.08:
            report_date = day + timedelta(days=rng.randint(1, 5))
        else:
            report_date = day - timedelta(days=rng.randint(1, 20))
        report_outstanding = ent.external_debt + sum(
            (a for _b, d, m, a in debts[e.credit_code] if d <= report_date <= m), Decimal(0))
        if report_date >= day:
            report_outstanding += amount_cny
        report_total = report_outstanding + (amount_cny if report_date < day else 0)
        qualified = any(q.valid_from <= day <= q.valid_to for q in ent.quals)
        report_cap = Decimal("50000000" if likely_tech or qualified else "30000000")
        if report_total > report_cap and rng.random() < 0.9:
            return False  # the credit report shows the enterprise is borrowed up
        share = None
        guarantor = ""
        if loan_type == LoanType.RISK_SHARING:
            share = Decimal(15 if rng.random() < 0.05 else rng.choice((20, 25, 30, 30, 40)))
            guarantor = rng.choice(GUARANTORS)
        first_loan = False
        if not ent.had_loan:
            ent.had_loan = True
            first_loan = rng.random() < 0.35
        other_cover = not likely_tech and rng.random() < 0.03
        if rng.random() < 0.3:
            # Filed through the form soon after drawdown rather than with the quarter's batch.
            deadline = filing_deadline(day, self.params(Scheme.TECH, day), self.cal)
            cand.filed_on = min(self.cal.add_workdays(day, rng.randint(2, 8)), deadline)
        ious[spec.code] += 1
        seq = ious[spec.code]
        branch = rng.choice(self.branches[spec.code])
        cand.request = FilingRequest(
            credit_code=e.credit_code, enterprise_name=e.name, kind=e.kind, size=e.size,
            in_bda=e.is_in_bda, micro_conduct_ok=e.is_micro_conduct_ok,
            tech_conduct_ok=e.is_tech_conduct_ok, tech_scope=e.is_tech_scope,
            iou_number=f"{spec.code}-JJ{day:%Y%m%d}-{seq:04d}",
            contract_number=f"{spec.code.split('-')[0]}{day:%Y}JK{seq:05d}",
            loan_type=str(loan_type), amount=amount, currency=currency, fx_rate=fx_rate,
            drawdown_date=day, maturity_date=maturity, rate_percent=rate,
            credit_report_outstanding=_money(report_outstanding), credit_report_date=report_date,
            other_cover=other_cover, first_loan=first_loan, bank_risk_share_percent=share,
            has_natural_person_guarantee=(loan_type != LoanType.RISK_SHARING
                                          and rng.random() < 0.3),
            guarantee_institution=guarantor, branch_id=branch.pk, qualifications=ent.quals)
        debts[e.credit_code].append((spec.code, day, maturity, amount_cny))
        return True

    # -- classification and claims plan --

    def plan_npl(self, filings: list[LoanFiling]) -> tuple[list[ClaimPlan], dict[int, date]]:
        rng = self.rng
        used: set[int] = set()
        plans: list[ClaimPlan] = []

        def feasible(bank_code: str, scheme: str, status: str | None) -> list[LoanFiling]:
            _lo, hi = NPL_WINDOWS[status]
            return [f for f in filings if f.bank.code == bank_code and f.scheme == scheme
                    and f.pk not in used and f.filed_on + timedelta(days=30) <= hi]

        def npl_date(f: LoanFiling, status: str | None) -> date:
            lo, hi = NPL_WINDOWS[status]
            lo = max(lo, f.filed_on + timedelta(days=30))
            return lo + timedelta(days=rng.randint(0, (hi - lo).days))

        def add(f: LoanFiling, status: str, factor: tuple[int, int]) -> ClaimPlan:
            used.add(f.pk)
            base = _money(f.amount_cny * Decimal(rng.randint(*factor)) / 100)
            plan = ClaimPlan(filing=f, status=status, npl_on=npl_date(f, status), base=base)
            plans.append(plan)
            return plan

        for bank_code, scheme, status, count in CLAIM_PLAN:
            for _ in range(count):
                pool = feasible(bank_code, scheme, status)
                if not pool:
                    raise CommandError(f"no loan fits a {status} claim at {bank_code}")
                if bank_code == "ICBC-BDA" and status in (S.PAID, S.WRITTEN_OFF):
                    # MICRO Art. 8: this bank's payouts must pass CNY 5,000,000.
                    pool.sort(key=lambda f: (-f.amount_cny, f.pk))
                    add(rng.choice(pool[:8]), status, (85, 100))
                elif scheme == Scheme.TECH and status in (S.PAID, S.CONFIRMED):
                    small = [f for f in pool if f.amount_cny <= 8_000_000] or pool
                    add(rng.choice(small), status, (70, 100))
                else:
                    add(rng.choice(pool), status, (70, 100))
        # A paid TECH claim and a passed MICRO one went through a supplement request first.
        for wanted in ((S.PAID, Scheme.TECH), (S.PASSED, Scheme.MICRO)):
            next(p for p in plans if (p.status, p.filing.scheme) == wanted).with_supplement = True
        unclaimed: dict[int, date] = {}
        for bank_code, scheme, count in UNCLAIMED_NPL:
            for _ in range(count):
                pool = feasible(bank_code, scheme, None)
                if pool:
                    f = rng.choice(pool)
                    used.add(f.pk)
                    unclaimed[f.pk] = npl_date(f, None)
        return plans, unclaimed

    def load_loan_history(self, filings: list[LoanFiling], plans: list[ClaimPlan],
                          unclaimed: dict[int, date]) -> None:
        """Quarter-end five-tier reports, special mentions, and the non-performing ones."""
        rng = self.rng
        npl = {p.filing.pk: p.npl_on for p in plans} | unclaimed
        normal_pool = [f for f in filings if f.pk not in npl
                       and f.drawdown_date <= date(2026, 6, 30)]
        special = {f.pk for f in rng.sample(normal_pool, min(25, len(normal_pool)))}
        tiers = (Classification.SUBSTANDARD, Classification.DOUBTFUL, Classification.LOSS)
        notes = {
            Classification.SPECIAL_MENTION: "借款人经营收入下降，本息偶有逾期",
            Classification.SUBSTANDARD: "本金或利息逾期超过90天",
            Classification.DOUBTFUL: "本金或利息逾期超过270天，已启动诉讼",
            Classification.LOSS: "借款人停业，预计可回收金额极少",
        }
        rows: list[ClassificationReport] = []
        for f in filings:
            officer = self.officer(f.bank.code)
            npl_on = npl.get(f.pk)
            last = LAST_REPORTED_QUARTER_END if npl_on else min(LAST_REPORTED_QUARTER_END,
                                                                 f.maturity_date)
            ends = _quarter_ends(f.drawdown_date, last)
            sm_from = sm_to = None
            if f.pk in special and ends:
                sm_from = rng.choice(ends)
                sm_to = sm_from + timedelta(days=rng.choice((92, 183, 400)))
            tier = 0
            if npl_on:
                tier = rng.choices((0, 1, 2), weights=(70, 25, 5))[0]
                before = [d for d in ends if d < npl_on]
                if before and rng.random() < 0.6:
                    sm_from, sm_to = before[-1], npl_on
                rows.append(ClassificationReport(
                    filing=f, classification=tiers[tier], classified_on=npl_on,
                    reported_by=officer, note=notes[tiers[tier]]))
            for end in ends:
                if npl_on and end >= npl_on:
                    if end == npl_on:
                        continue
                    if tier < 2 and rng.random() < 0.35:
                        tier += 1
                    cls = tiers[tier]
                elif sm_from and sm_to and sm_from <= end < sm_to:
                    cls = Classification.SPECIAL_MENTION
                else:
                    cls = Classification.NORMAL
                rows.append(ClassificationReport(
                    filing=f, classification=cls, classified_on=end, reported_by=officer,
                    note=notes.get(cls, "")))
        rows.sort(key=lambda r: (r.filing.pk, r.classified_on))
        ClassificationReport.objects.bulk_create(rows, batch_size=1000)
        self.counts["classifications"] = len(rows)
        self.counts["special_mention_loans"] = len(special)
        self.counts["npl_loans"] = len(npl)

    def _timeline(self, plan: ClaimPlan) -> None:
        """The dates of the claim's steps, each after the one before and before DEMO_TODAY."""
        rng = self.rng
        t = plan.times
        submitted = self.workday_on_or_after(plan.npl_on + timedelta(days=rng.randint(6, 14)))
        t["submitted"] = self.stamp(submitted)
        last = submitted
        if plan.status == S.SUPPLEMENT_REQUESTED or plan.with_supplement:
            asked = self.cal.add_workdays(submitted, rng.randint(4, 6))
            t["supplement_requested"] = self.stamp(asked)
            if plan.status != S.SUPPLEMENT_REQUESTED:
                last = self.cal.add_workdays(asked, rng.randint(3, 5))
                t["supplement_answered"] = self.stamp(last)
        if plan.status in (S.SUBMITTED, S.SUPPLEMENT_REQUESTED):
            return
        if plan.status == S.PASSED:
            reviewed = self.workday_on_or_after(date(2026, 11, rng.randint(17, 20)))
        else:
            reviewed = self.cal.add_workdays(last, rng.randint(6, 10))
        t["reviewed"] = self.stamp(reviewed)
        if plan.status in (S.PASSED, S.REJECTED):
            return
        if plan.status == S.PROPOSED:
            t["proposed"] = _at(date(2026, 11, 16), 15)
            return
        proposed = self.cal.nth_workday_from(next_quarter_start(reviewed), 6)
        t["proposed"] = _at(proposed, 15)
        if plan.status == S.CONFIRMED:
            decided = self.workday_on_or_before(DEMO_TODAY - timedelta(days=rng.randint(3, 5)))
        else:
            decided = self.cal.add_workdays(proposed, rng.randint(10, 15))
        t["decided"] = self.stamp(decided)
        if plan.status in (S.CONFIRMED, S.BUREAU_REJECTED):
            return
        t["paid"] = self.stamp(self.cal.add_workdays(decided, rng.randint(3, 6)))

    def load_claims(self, plans: list[ClaimPlan]) -> None:
        for plan in plans:
            self._timeline(plan)
        plans.sort(key=lambda p: (p.times["submitted"], p.filing.pk))
        # Proposals (补偿初审意见): one per scheme and quarter of review.
        groups: dict[tuple[str, str], list[ClaimPlan]] = defaultdict(list)
        for plan in plans:
            if "proposed" in plan.times:
                period = ("2026Q4" if plan.status == S.PROPOSED
                          else _quarter_label(plan.times["reviewed"].date()))
                groups[(plan.filing.scheme, period)].append(plan)
        proposals: dict[tuple[str, str], Proposal] = {}
        for (scheme, period), members in sorted(groups.items(), key=lambda kv: kv[0][1]):
            all_decided = all(p.status in DECIDED_BY_BUREAU for p in members)
            label = "小微" if scheme == Scheme.MICRO else "科创"
            proposals[(scheme, period)] = Proposal.objects.create(
                number=proposal_number_stem(scheme, period), scheme=scheme, period=period,
                status=Proposal.Status.DECIDED if all_decided else Proposal.Status.SUBMITTED,
                note=f"{quarter_label(period)}{label}补偿初审意见，共{len(members)}笔",
                created_by=self.reviewer, submitted_at=members[0].times["proposed"])
            for p in members:
                p.claim = Claim(proposal=proposals[(scheme, period)])
        sequence: Counter[str] = Counter()
        claims = []
        for plan in plans:
            f = plan.filing
            params = self.params(f.scheme, f.drawdown_date)
            submitted = plan.times["submitted"]
            prefix = "MC" if f.scheme == Scheme.MICRO else "TC"
            sequence[f"{prefix}{submitted.year}"] += 1
            claim = plan.claim
            claim.number = f"{prefix}-{submitted.year}-{sequence[f'{prefix}{submitted.year}']:04d}"
            claim.filing = f
            claim.bank = f.bank
            claim.scheme = f.scheme
            claim.base = plan.base
            claim.ratio = f.ratio
            claim.compensation = compensation_amount(plan.base, f.ratio)
            claim.classification_date = plan.npl_on
            claim.deadline = claim_deadline(f.maturity_date, params)
            claim.status = plan.status
            claim.submitted_at = submitted
            claim.created_by = self.officer(f.bank.code)
            if plan.status == S.REJECTED:
                claim.reject_code = (ReasonCode.TECH_SCOPE if f.scheme == Scheme.TECH
                                     else ReasonCode.OTHER_COVER)
            plan.claim = claim
            claims.append(claim)
        Claim.objects.bulk_create(claims)
        self.counts["claims"] = len(claims)
        self.counts["proposals"] = len(proposals)
        changes: list[ClaimStatusChange] = []
        reviews: list[ReviewDecision] = []
        supplements: list[SupplementRequest] = []
        documents: list[ClaimDocument] = []
        confirmations: list[Confirmation] = []
        payments: list[Payment] = []
        doc_no: Counter[str] = Counter()
        for plan in sorted(plans, key=lambda p: p.times.get("decided", p.times["submitted"])):
            claim = plan.claim
            t = plan.times
            officer = self.officer(claim.bank.code)

            def change(frm: str, to: str, at: datetime, actor: Any, note: str = "",
                       claim: Claim = claim) -> None:
                changes.append(ClaimStatusChange(claim=claim, from_status=frm, to_status=to,
                                                 note=note, actor=actor, changed_at=at))

            change("", S.SUBMITTED, t["submitted"], officer, "银行提交补偿申报")
            documents += self._claim_documents(claim, officer)
            if "supplement_requested" in t:
                message = ("请补充借款人近三个月的催收记录及显示五级分类的最新征信报告"
                           if claim.scheme == Scheme.MICRO else
                           "请补充放款时企业属于财金〔2024〕60号支持范围的证明材料（科创方案第十五条）")
                answered = t.get("supplement_answered")
                change(S.SUBMITTED, S.SUPPLEMENT_REQUESTED, t["supplement_requested"],
                       self.reviewer, message)
                reviews.append(ReviewDecision(
                    claim=claim, decision=ReviewDecision.Decision.SUPPLEMENT, message=message,
                    reviewer=self.reviewer, decided_at=t["supplement_requested"]))
                supplements.append(SupplementRequest(
                    claim=claim, message=message, requested_by=self.reviewer,
                    requested_at=t["supplement_requested"],
                    answer="已按要求补充上传相关材料，请审核。" if answered else "",
                    answered_by=officer if answered else None, answered_at=answered))
                if answered:
                    change(S.SUPPLEMENT_REQUESTED, S.SUBMITTED, answered, officer,
                           "银行补充材料后重新提交")
                    documents += self._claim_documents(claim, officer, supplement=True)
            if "reviewed" not in t:
                continue
            if plan.status == S.REJECTED:
                message = ("经核查，放款时企业不属于财金〔2024〕60号支持范围，银行未能提供证明材料"
                           "（科创方案第十五条）" if claim.scheme == Scheme.TECH else
                           "经核查，该笔贷款同时由融资担保公司提供担保，不属于支持范围"
                           "（小微办法第六条第三项）")
                change(S.SUBMITTED, S.REJECTED, t["reviewed"], self.reviewer, message)
                reviews.append(ReviewDecision(
                    claim=claim, decision=ReviewDecision.Decision.REJECT,
                    reason_code=claim.reject_code, message=message, reviewer=self.reviewer,
                    decided_at=t["reviewed"]))
                continue
            change(S.SUBMITTED, S.PASSED, t["reviewed"], self.reviewer, "初审通过")
            reviews.append(ReviewDecision(
                claim=claim, decision=ReviewDecision.Decision.PASS,
                message="材料齐全，符合补偿条件", reviewer=self.reviewer,
                decided_at=t["reviewed"]))
            if "proposed" not in t:
                continue
            proposal_number = claim.proposal.number if claim.proposal else ""
            change(S.PASSED, S.PROPOSED, t["proposed"], self.reviewer,
                   f"列入{proposal_number}报财政国资局")
            if "decided" not in t:
                continue
            decided = t["decided"]
            rejected = plan.status == S.BUREAU_REJECTED
            kind = "函" if rejected else "确"
            doc_no[kind] += 1
            number = f"京技财{kind}〔{decided.year}〕{doc_no[kind] + (3 if rejected else 11)}号"
            note = ("经复核，不良分类依据不充分，请银行补充催收及诉讼材料后重新申报" if rejected
                    else f"同意按{claim.ratio:.0%}比例补偿¥{claim.compensation:,}")
            confirmation = Confirmation(
                claim=claim,
                decision=(Confirmation.Decision.REJECTED if rejected
                          else Confirmation.Decision.CONFIRMED),
                document_number=number, document_date=decided.date(), note=note,
                approver=self.approver, decided_at=decided)
            self.save_pdf(confirmation, "document", f"confirmation-{claim.number}.pdf",
                          "Beijing BDA Finance Bureau - written confirmation",
                          [f"Claim: {claim.number}", f"Bank: {claim.bank.code}",
                           f"Scheme: {claim.scheme}", f"Base: CNY {claim.base:,}",
                           f"Ratio: {claim.ratio}", f"Compensation: CNY {claim.compensation:,}",
                           f"Decision: {confirmation.decision}",
                           f"Date: {decided.date().isoformat()}"])
            confirmations.append(confirmation)
            change(S.PROPOSED, plan.status if rejected else S.CONFIRMED, decided, self.approver,
                   f"{number}：{note}")
            if "paid" not in t:
                continue
            paid = t["paid"]
            payments.append(Payment(
                claim=claim, amount=claim.compensation, paid_on=paid.date(),
                reference=f"FK{paid:%Y%m%d}{len(payments) + 1:03d}", paid_by=self.reviewer))
            change(S.CONFIRMED, S.PAID, paid, self.reviewer, "已从风险补偿资金专用账户拨付")
        ClaimDocument.objects.bulk_create(documents)
        ReviewDecision.objects.bulk_create(reviews)
        SupplementRequest.objects.bulk_create(supplements)
        Confirmation.objects.bulk_create(confirmations)
        Payment.objects.bulk_create(payments)
        changes.sort(key=lambda c: (c.changed_at, c.claim.number))
        ClaimStatusChange.objects.bulk_create(changes)
        self.counts.update(status_changes=len(changes), reviews=len(reviews),
                           confirmations=len(confirmations), payments=len(payments),
                           documents=len(documents))

    def _claim_documents(self, claim: Claim, officer: Any, supplement: bool = False
                         ) -> list[ClaimDocument]:
        kinds = ((ClaimDocument.Kind.SUPPLEMENT,) if supplement else
                 (ClaimDocument.Kind.APPLICATION, ClaimDocument.Kind.CONTRACT_IOU,
                  ClaimDocument.Kind.CREDIT_REPORT, ClaimDocument.Kind.COLLECTION,
                  ClaimDocument.Kind.COMMITMENT))
        out = []
        for kind in kinds:
            doc = ClaimDocument(claim=claim, kind=kind, original_name=f"{claim.number}-{kind}.pdf",
                                content_type="application/pdf", uploaded_by=officer)
            data = self.save_pdf(doc, "file", f"{claim.number}-{kind}.pdf",
                                 f"{claim.bank.code} - claim {claim.number}",
                                 [f"Document: {kind}", f"IOU: {claim.filing.iou_number}",
                                  f"Outstanding principal: CNY {claim.base:,}"])
            doc.size = len(data)
            doc.sha256 = sha256(data).hexdigest()
            out.append(doc)
        return out

    # -- money --

    def load_recoveries_and_ledger(self, plans: list[ClaimPlan]) -> dict[int, Decimal]:
        """Recoveries and returns on paid claims, the write-off, and the fund's ledger."""
        rng = self.rng
        paid_plans = [p for p in plans if "paid" in p.times]
        payments = {pay.claim_id: pay for pay in Payment.objects.filter(
            claim__in=[p.claim for p in paid_plans])}
        written = next(p for p in plans if p.status == S.WRITTEN_OFF)
        early = [p for p in paid_plans if p.status == S.PAID
                 and p.times["paid"].date() <= DEMO_TODAY - timedelta(days=60)]
        chosen = [written]
        for bank_code in ("BOB-BDA", "CMB-YZ", "ICBC-BDA"):
            mine = [p for p in early if p.claim.bank.code == bank_code]
            if mine:
                chosen.append(rng.choice(mine))
        pending_plan = next((p for p in chosen if p.claim.bank.code != "ICBC-BDA"
                             and p is not written), None)
        recoveries: list[Recovery] = []
        returns: list[ReturnPayment] = []
        recovered: dict[int, Decimal] = defaultdict(Decimal)
        last_event: dict[int, date] = {}
        for plan in chosen:
            claim = plan.claim
            params = self.params(claim.scheme, plan.filing.drawdown_date)
            paid = payments[claim.pk].amount
            returned = Decimal("0.00")
            day = plan.times["paid"].date()
            count = 1 if plan is written else rng.randint(1, 2)
            for n in range(count):
                pending = plan is pending_plan and n == count - 1
                if pending:
                    recovered_on = self.workday_on_or_before(DEMO_TODAY - timedelta(days=12))
                else:
                    recovered_on = self.workday_on_or_after(
                        day + timedelta(days=rng.randint(18, 35)))
                    if recovered_on > DEMO_TODAY - timedelta(days=20):
                        break
                amount = _money(plan.base * Decimal(rng.randint(4, 18)) / 100
                                / 100).quantize(Decimal(1)) * 100
                notified_on = self.cal.add_workdays(recovered_on, rng.randint(2, 10))
                due = return_amount(recovered=amount, ratio=claim.ratio, paid=paid,
                                    returned_before=returned)
                notice_deadline, pay_deadline = recovery_deadlines(recovered_on, notified_on,
                                                                   params, self.cal)
                recovery = Recovery(
                    claim=claim, recovered_on=recovered_on, amount=amount,
                    notified_on=notified_on, return_amount=due, notice_deadline=notice_deadline,
                    return_deadline=pay_deadline, reported_by=self.officer(claim.bank.code))
                recoveries.append(recovery)
                recovered[claim.filing_id] += amount
                day = notified_on
                if pending or due <= 0:
                    continue
                returned_on = self.cal.add_workdays(notified_on, rng.randint(2, 7))
                back = ReturnPayment(
                    recovery=recovery, amount=due, returned_on=returned_on,
                    reference=f"FH{returned_on:%Y%m%d}{len(returns) + 1:03d}",
                    received_by=self.reviewer, received_at=self.stamp(returned_on, 14, 17),
                    recorded_by=self.officer(claim.bank.code))
                if claim.scheme == Scheme.TECH:  # TECH returns come with a statement
                    self.save_pdf(back, "reconciliation_statement",
                                  f"statement-{back.reference}.pdf", "Return reconciliation",
                                  [f"Claim: {claim.number}", f"Recovered: CNY {amount:,}",
                                   f"Returned: CNY {due:,}", f"Reference: {back.reference}"])
                returns.append(back)
                returned += due
                day = returned_on
            last_event[claim.pk] = day
        Recovery.objects.bulk_create(recoveries)
        for back in returns:
            back.recovery_id = back.recovery.pk
        ReturnPayment.objects.bulk_create(returns)

        # The write-off (MICRO Art. 17): bankruptcy liquidation closed the borrower.
        claim = written.claim
        officer = self.officer(claim.bank.code)
        back_total = sum((r.amount for r in returns if r.recovery.claim_id == claim.pk),
                         Decimal("0.00"))
        loss = payments[claim.pk].amount - back_total
        applied = self.workday_on_or_after(last_event[claim.pk] + timedelta(days=rng.randint(5, 9)))
        reviewed = self.cal.add_workdays(applied, rng.randint(4, 7))
        decided = min(self.cal.add_workdays(reviewed, rng.randint(6, 10)),
                      self.workday_on_or_before(DEMO_TODAY - timedelta(days=2)))
        write_off = WriteOff(
            claim=claim, ground=WriteOff.Ground.BANKRUPTCY, amount=loss,
            status=WriteOff.Status.CONFIRMED, applied_by=officer, applied_at=self.stamp(applied),
            reviewed_by=self.reviewer, reviewed_at=self.stamp(reviewed),
            document_number=f"京技财核〔{decided.year}〕2号", document_date=decided,
            decided_by=self.approver, decided_at=self.stamp(decided))
        for name, title in (("ruling", "Court ruling - bankruptcy liquidation closed"),
                            ("internal_approval", "Bank internal write-off approval"),
                            ("application_letter", "Write-off application letter")):
            self.save_pdf(write_off, name, f"writeoff-{claim.number}-{name}.pdf", title,
                          [f"Claim: {claim.number}", f"Borrower credit code: "
                           f"{claim.filing.enterprise.credit_code}",
                           f"Net loss (paid - returned): CNY {loss:,}"])
        write_off.save()
        ClaimStatusChange.objects.create(
            claim=claim, from_status=S.PAID, to_status=S.WRITTEN_OFF,
            note=f"{write_off.document_number}：破产清算终结，核销¥{loss:,}", actor=self.approver,
            changed_at=write_off.decided_at)

        # The ledger, in booking order; interest is on the balance at the time.
        events: list[tuple[date, int, dict[str, Any]]] = [
            (date(2025, 7, 1), 0, {"kind": LedgerEntry.Kind.CAPITAL, "amount": CAPITAL,
                                   "reference": "CZBK-2025-0701",
                                   "memo": "财政国资局拨入风险补偿资金（小微办法第二十条）"}),
            (date(2026, 1, 20), 2, {"kind": LedgerEntry.Kind.MANAGEMENT_FEE,
                                    "amount": -MANAGEMENT_FEE_2025, "fee_year": 2025,
                                    "reference": "GLF-2025",
                                    "memo": "2025年度托管管理费"
                                            "（小微办法第二十四条：资金规模×0.8%）"}),
        ]
        for d in (date(2025, 9, 21), date(2025, 12, 21), date(2026, 3, 21), date(2026, 6, 21),
                  date(2026, 9, 21)):
            events.append((d, 1, {"kind": LedgerEntry.Kind.INTEREST,
                                  "reference": f"LX-{d:%Y%m%d}",
                                  "memo": f"{d:%Y年%m月}结息（协定存款）"}))
        for pay in payments.values():
            c = pay.claim
            events.append((pay.paid_on, 3, {
                "kind": LedgerEntry.Kind.COMPENSATION, "amount": -pay.amount, "scheme": c.scheme,
                "bank": c.bank, "claim": c, "payment": pay, "reference": pay.reference,
                "memo": f"拨付补偿 {c.number}"}))
        for back in returns:
            c = back.recovery.claim
            events.append((back.returned_on, 4, {
                "kind": LedgerEntry.Kind.RETURN, "amount": back.amount, "scheme": c.scheme,
                "bank": c.bank, "claim": c, "return_payment": back, "reference": back.reference,
                "memo": f"银行返还追偿款 {c.number}"}))
        events.append((decided, 5, {
            "kind": LedgerEntry.Kind.WRITE_OFF, "amount": Decimal("0.00"), "loss_amount": loss,
            "scheme": claim.scheme, "bank": claim.bank, "claim": claim, "write_off": write_off,
            "reference": write_off.document_number, "memo": f"核销损失确认 {claim.number}"}))
        events.sort(key=lambda e: (e[0], e[1], e[2].get("reference", "")))
        balance = Decimal("0.00")
        last_interest = date(2025, 7, 1)
        entries = []
        for booked_on, _order, values in events:
            if values["kind"] == LedgerEntry.Kind.INTEREST:
                days = (booked_on - last_interest).days
                values["amount"] = _money(balance * DEPOSIT_RATE * days / 360)
                last_interest = booked_on
            balance += values["amount"]
            if balance <= 0:
                raise CommandError("demo ledger would overdraw the fund account")
            entries.append(LedgerEntry(booked_on=booked_on, created_by=self.reviewer, **values))
        LedgerEntry.objects.bulk_create(entries)
        self.counts.update(recoveries=len(recoveries), returns=len(returns),
                           ledger_entries=len(entries), write_offs=1)
        self.balance = balance
        return recovered

    def finish_filings(self, filings: list[LoanFiling], plans: list[ClaimPlan],
                       unclaimed: dict[int, date], recovered: dict[int, Decimal]) -> None:
        """Outstanding principal and status as on DEMO_TODAY (the amount cap was judged at
        filing time on the full principal of the earlier filings)."""
        rng = self.rng
        by_filing = {p.filing.pk: p for p in plans}
        for f in filings:
            plan = by_filing.get(f.pk)
            if plan is not None:
                if plan.status == S.WRITTEN_OFF:
                    f.status, f.outstanding_principal = LoanFiling.Status.CLOSED, Decimal("0.00")
                    continue
                f.outstanding_principal = max(Decimal("0.00"),
                                              plan.base - recovered.get(f.pk, Decimal(0)))
                f.status = (LoanFiling.Status.CLAIMED if plan.status in OPEN_CLAIM_STATUSES
                            else LoanFiling.Status.ACTIVE)
            elif f.pk in unclaimed:
                f.outstanding_principal = _money(f.amount_cny * Decimal(rng.randint(70, 100))
                                                 / 100)
            elif f.maturity_date < DEMO_TODAY:
                f.status, f.outstanding_principal = LoanFiling.Status.SETTLED, Decimal("0.00")
            elif rng.random() < 0.3:  # repaid by instalments, 10% a quarter
                quarters = (DEMO_TODAY - f.drawdown_date).days // 91
                share = max(Decimal("0.1"), 1 - Decimal("0.1") * quarters)
                f.outstanding_principal = _money(f.amount_cny * share)
        LoanFiling.objects.bulk_update(filings, ["outstanding_principal", "status"],
                                       batch_size=500)


# --- reset ----------------------------------------------------------------------------------


def wipe_demo() -> None:
    """Delete the business data and the demo users (SQLite only: the ledger refuses deletes
    through the ORM, and on PostgreSQL through a trigger). Policy versions, LPR, calendar and
    fund sizes are reference data and stay."""
    if connection.vendor != "sqlite":
        raise CommandError(
            "--reset 仅支持 SQLite；PostgreSQL 的资金台账由触发器保护，请删除并重建数据库后重新 "
            "migrate / --reset works on SQLite only; on PostgreSQL drop and recreate the "
            "database, run migrate, then load_demo.")
    from accounts.models import SecurityEvent
    from claims.models import ProposalWithdrawal
    from reports.models import ReportFile

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LedgerEntry._meta.db_table}")  # noqa: S608 - fixed name
    # The demo users' logins go with them (a real user is deactivated, never deleted).
    SecurityEvent.objects.filter(user__username__in=DEMO_USERNAMES).delete()
    for model in (ProposalWithdrawal, SpotCheckItem, SpotCheck, RecoveryStatement, WriteOff,
                  ReturnPayment, Recovery,
                  Payment, Confirmation, Claim, Proposal, ClassificationReport, LoanFiling,
                  ImportBatch, Qualification, Enterprise, SuspensionChange, SuspensionState,
                  CooperationAgreement, Branch, Bank, ReportFile):
        model._default_manager.all().delete()
    try:
        get_user_model().objects.filter(username__in=DEMO_USERNAMES).delete()
    except ProtectedError as exc:
        raise CommandError(
            "演示用户仍被其他记录引用，请删除 var/db.sqlite3 后重新 migrate / demo users are still "
            "referenced; remove var/db.sqlite3 and migrate again.") from exc


class Command(BaseCommand):
    help = (
        "载入演示数据（三家银行、约60家企业、约300笔备案、各状态的补偿申报、资金台账）。"
        "Load demo data into an empty, migrated database: three banks, ~60 enterprises, ~300 "
        "filed loans, claims in every status, payments, returns, a write-off and the fund "
        "ledger; one bank ends up suspended. Deterministic for a given --seed. If the demo users "
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
        with transaction.atomic():
            if options["reset"]:
                wipe_demo()
            loader = DemoLoader(options["seed"], self.stdout)
            loader.run()
        reports = self._half_year_reports()
        self._report(loader, time.monotonic() - started, reports)

    def _half_year_reports(self) -> list[Any]:
        """Request the demo's half-year reports (each in its own transaction: the task renders
        it once the request is committed, at once with the local settings, else on the worker)."""
        from reports.models import ReportFile
        from reports.services import report_request

        reviewer = get_user_model().objects.get(username="reviewer")
        requested = []
        for period in DEMO_REPORT_PERIODS:
            with transaction.atomic():
                requested.append(report_request(kind=ReportFile.Kind.SEMIANNUAL, period=period,
                                                actor=reviewer))
        for report in requested:
            report.refresh_from_db()
        return requested

    def _report(self, loader: DemoLoader, seconds: float, reports: list[Any]) -> None:
        c = loader.counts
        filings = LoanFiling.objects.count()
        by_status = Counter(Claim.objects.values_list("status", flat=True))
        refused = ", ".join(f"{code} {n}" for code, n in loader.refused.most_common())
        suspended = SuspensionState.objects.filter(is_auto_suspended=True).select_related("bank")
        lines = [
            f"演示数据已载入（{seconds:.1f} 秒）/ Demo data loaded in {seconds:.1f} s",
            f"  银行 banks {Bank.objects.count()}, 支行 branches {Branch.objects.count()}, "
            f"合作协议 agreements {CooperationAgreement.objects.count()}",
            f"  企业 enterprises {Enterprise.objects.count()}, 资质 qualifications "
            f"{c['qualifications']}",
            f"  备案 filings {filings} (候选 candidates {loader.candidates}; 规则退回 refused "
            f"{loader.refused_rows}: {refused or '—'})",
            f"  五级分类 classification reports {c['classifications']}, 不良 NPL loans "
            f"{c['npl_loans']}, 关注 special mention {c['special_mention_loans']}",
            f"  补偿申报 claims {c['claims']}: " + ", ".join(
                f"{s.label} {by_status[s.value]}" for s in Claim.Status),
            f"  初审意见 proposals {c['proposals']}, 财政确认 confirmations "
            f"{c['confirmations']}, 拨付 payments {c['payments']}, 追偿 recoveries "
            f"{c['recoveries']}, 返还 returns {c['returns']}, 核销 write-offs {c['write_offs']}",
            f"  资金台账 ledger entries {c['ledger_entries']}, 余额 balance ¥{loader.balance:,}",
            "  暂停 suspended: " + ", ".join(f"{s.bank.short_name} {s.scheme}"
                                             for s in suspended),
            "  半年度报告 half-year reports: " + ", ".join(
                f"{r.period} v{r.version} {r.get_status_display()}" for r in reports),
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.write(logins_table())
