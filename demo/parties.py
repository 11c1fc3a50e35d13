"""Stage one: the demo users, the partner banks with their agreements and the enterprises."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import CommandError

from accounts.roles import Role
from banks.models import Bank, Branch, CooperationAgreement
from banks.services import officer_grant
from loans.models import Enterprise, Qualification
from loans.services import QualificationInput
from riskcomp.choices import (
    EnterpriseKind,
    EnterpriseSize,
    QualificationType,
    Scheme,
)
from riskcomp.policy.credit_code import CHARSET, credit_code_check_char
from riskcomp.policy.deadlines import add_months
from riskcomp.policy.enterprise_size import Industry, classify_size

from .base import DemoEnterprise, LoaderBase
from .specs import (
    BANKS,
    DEMO_PASSWORD,
    DEMO_USERS,
    FIGURES,
    INDIVIDUAL_SHOPS,
    PHRASES,
    QUAL_TYPES_ORDER,
    QUAL_WEIGHTS,
    SURNAMES,
    WAN,
    ZIHAO_FIRST,
    ZIHAO_SECOND,
    _money,
)


class Parties(LoaderBase):
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
            if classify_size(industry, employees, revenue, assets).value != size:
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

