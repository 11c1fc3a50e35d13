"""What the demo holds: its users, banks, claim plan and the figures its enterprises are drawn
from. Data only, plus the date helpers every stage shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from accounts.roles import Role
from claims.models import Claim
from riskcomp.choices import (
    QualificationType,
    Scheme,
)
from riskcomp.policy.enterprise_size import Industry

DEFAULT_SEED = 20261122
DEMO_TODAY = date(2026, 11, 22)  # the demo's "today": every date below is on or before it
DEMO_PASSWORD = "Demo-2026-pass"  # noqa: S105 - demo logins only, printed on screen
TZ = ZoneInfo("Asia/Shanghai")
QUARTERS = ((2025, 3), (2025, 4), (2026, 1), (2026, 2), (2026, 3))
LAST_REPORTED_QUARTER_END = date(2026, 9, 30)
FEN = Decimal("0.01")
WAN = Decimal(10000)
CAPITAL = Decimal("100000000.00")  # MICRO Art. 20, TECH Art. 21
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
# Each is requested on the demo's business clock this many days after its period ended, as the
# custodian would: the generation stamp reads a day of the demo's year, not the loading day.
DEMO_REPORT_DAYS_AFTER = 5


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

# The course each claim is meant to run: (bank, scheme, status it is meant to reach, how many).
# The rules have the last word on its day: once ICBC-BDA crosses the MICRO Art. 8 thresholds
# (its payouts pass CNY 5,000,000) its later claims are refused or wait where they are, so it
# ends with claims passed, proposed or confirmed but unpaid, and its last claims never filed.
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
# The bank meant to cross the suspension thresholds, and the claims whose payouts take it over.
SUSPENDED_BANK = ("ICBC-BDA", Scheme.MICRO)
CROSSING_STATUSES = (S.WRITTEN_OFF, S.PAID)
# Its claims' base as a share of the loan (percent, low and high).
CROSSING_BASE_PERCENT = (85, 100)
# How far its planned payouts, less the largest, must pass the net threshold: what its
# recoveries return (at most about half of one payout) must not take it back under.
CROSSING_MARGIN = Decimal("1.5")
# Non-performing loans the banks have not claimed yet.
UNCLAIMED_NPL = (("ICBC-BDA", Scheme.MICRO, 3), ("BOB-BDA", Scheme.MICRO, 2),
                 ("BOB-BDA", Scheme.TECH, 2), ("CMB-YZ", Scheme.TECH, 2))
# When the first non-performing classification falls, so that each status's later steps fit
# before DEMO_TODAY (proposals go quarterly, TECH Art. 15).
NPL_WINDOWS: dict[str | None, tuple[date, date]] = {
    # The written-off loan is the first to be compensated, before its bank crosses the
    # suspension thresholds (MICRO Art. 8) and later payouts to it wait.
    S.WRITTEN_OFF: (date(2025, 11, 1), date(2025, 11, 20)),
    S.PAID: (date(2025, 11, 25), date(2026, 6, 10)),
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


def _quarter_ends(start: date, end: date) -> list[date]:
    out = []
    for year in (2025, 2026):
        for month, day in ((3, 31), (6, 30), (9, 30), (12, 31)):
            d = date(year, month, day)
            if start <= d <= end:
                out.append(d)
    return out


