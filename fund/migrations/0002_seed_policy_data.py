"""Seeds the policy parameters of the two schemes in force, the LPR history of RULES.md and the
fund size. Values are written out here (not imported) so the migration never changes."""

from datetime import date
from decimal import Decimal

from django.db import migrations

CREDIT_LIKE = ["credit", "ip_pledge", "receivables_pledge"]
COMMON = {
    "rate_margin_percent": Decimal("1.50"),
    "long_term_years": 5,
    "credit_report_window_workdays": 10,
    "filing_deadline_workday": 15,
    "claim_window_months": 12,
    "recovery_notice_workdays": 20,
    "return_workdays": 10,
}
VERSIONS = [
    {
        "scheme": "MICRO",
        "version": "京技管发〔2025〕12号",
        "title": "北京经济技术开发区小微企业贷款风险补偿资金管理办法",
        "valid_from": date(2025, 6, 30),
        "valid_to": date(2026, 12, 31),
        "allowed_kinds": ["company", "individual"],
        "allowed_sizes": ["small", "micro"],
        "allowed_loan_types": CREDIT_LIKE,
        "requires_tech_scope": False,
        "excludes_other_cover": True,
        "amount_cap": Decimal("10000000.00"),
        "outstanding_cap": Decimal("30000000.00"),
        "outstanding_cap_qualified": Decimal("50000000.00"),
        "base_ratio": Decimal("0.30"),
        "raised_ratio": Decimal("0.40"),
        "risk_share_min": None,
        "risk_share_ratio_cap": None,
        "suspend_claim_ratio": Decimal("0.03"),
        "suspend_net_compensation": Decimal("5000000.00"),
        **COMMON,
    },
    {
        "scheme": "TECH",
        "version": "京技管发〔2025〕13号",
        "title": "管委会与银行合作开展科技创新类中小企业贷款风险补偿实施方案",
        "valid_from": date(2025, 6, 30),
        "valid_to": date(2028, 6, 29),
        "allowed_kinds": ["company"],
        "allowed_sizes": ["medium", "small"],
        "allowed_loan_types": [*CREDIT_LIKE, "risk_sharing"],
        "requires_tech_scope": True,
        "excludes_other_cover": False,
        "amount_cap": Decimal("30000000.00"),
        "outstanding_cap": Decimal("50000000.00"),
        "outstanding_cap_qualified": Decimal("50000000.00"),
        "base_ratio": Decimal("0.50"),
        "raised_ratio": None,
        "risk_share_min": Decimal("0.20"),
        "risk_share_ratio_cap": Decimal("0.20"),
        "suspend_claim_ratio": None,
        "suspend_net_compensation": Decimal("15000000.00"),
        **COMMON,
    },
]
LPR = [
    (date(2024, 10, 21), Decimal("3.10"), Decimal("3.60")),
    (date(2025, 5, 20), Decimal("3.00"), Decimal("3.50")),
]


def seed(apps, schema_editor):
    PolicyVersion = apps.get_model("fund", "PolicyVersion")
    LprRate = apps.get_model("fund", "LprRate")
    FundSize = apps.get_model("fund", "FundSize")
    for v in VERSIONS:
        PolicyVersion.objects.update_or_create(version=v["version"], defaults=v)
    for published_on, one, five in LPR:
        LprRate.objects.update_or_create(
            published_on=published_on,
            defaults={"one_year_percent": one, "five_year_percent": five},
        )
    for year in (2025, 2026):
        FundSize.objects.get_or_create(
            year=year,
            defaults={"amount": Decimal("100000000.00"),
                      "note": "小微办法第二十条、科创方案第二十一条：1亿元"},
        )


def unseed(apps, schema_editor):
    apps.get_model("fund", "PolicyVersion").objects.filter(
        version__in=[v["version"] for v in VERSIONS]).delete()
    apps.get_model("fund", "LprRate").objects.filter(
        published_on__in=[row[0] for row in LPR]).delete()


class Migration(migrations.Migration):
    dependencies = [("fund", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
