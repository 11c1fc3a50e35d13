"""factory_boy factories for the domain. Filings are built directly (their scheme and ratio are
given), which is what tests of screens and permissions need."""

import random
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from banks.models import Bank, Branch, CooperationAgreement
from banks.services import officer_grant
from claims.models import Claim
from loans.models import Enterprise, LoanFiling
from loans.services import filing_qualification_types
from riskcomp.policy.credit_code import credit_code_check_char

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_credit_code(n: int) -> str:
    rnd = random.Random(n)
    body = "91110302" + "".join(rnd.choice(CODE_CHARS) for _ in range(9))
    return body + credit_code_check_char(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "Secret-pass-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class BankFactory(factory.django.DjangoModelFactory[Bank]):
    class Meta:
        model = Bank

    name = factory.Sequence(lambda n: f"测试银行{n}经开区支行")
    short_name = factory.Sequence(lambda n: f"测试{n}")
    code = factory.Sequence(lambda n: f"B{n:03d}")


class BranchFactory(factory.django.DjangoModelFactory[Branch]):
    class Meta:
        model = Branch

    bank = factory.SubFactory(BankFactory)
    name = factory.Sequence(lambda n: f"第{n}营业部")
    code = factory.Sequence(lambda n: f"BR{n:03d}")


class AgreementFactory(factory.django.DjangoModelFactory[CooperationAgreement]):
    class Meta:
        model = CooperationAgreement

    bank = factory.SubFactory(BankFactory)
    scheme = "MICRO"
    number = factory.Sequence(lambda n: f"HZ-2025-{n:04d}")
    signed_on = date(2025, 7, 1)
    valid_from = date(2025, 7, 1)
    valid_to = date(2028, 6, 29)


class EnterpriseFactory(factory.django.DjangoModelFactory[Enterprise]):
    class Meta:
        model = Enterprise

    credit_code = factory.Sequence(make_credit_code)
    name = factory.Sequence(lambda n: f"北京亦庄测试科技有限公司{n}")
    kind = "company"
    size = "small"
    is_in_bda = True
    is_micro_conduct_ok = True
    is_tech_conduct_ok = True
    is_tech_scope = True


class FilingFactory(factory.django.DjangoModelFactory[LoanFiling]):
    class Meta:
        model = LoanFiling

    bank = factory.SubFactory(BankFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    enterprise_name = factory.LazyAttribute(lambda o: o.enterprise.name)
    iou_number = factory.Sequence(lambda n: f"JJ2026{n:06d}")
    contract_number = factory.Sequence(lambda n: f"HT2026{n:06d}")
    drawdown_date = date(2026, 4, 15)
    maturity_date = factory.LazyAttribute(lambda o: o.drawdown_date + timedelta(days=365))
    amount = Decimal("1000000.00")
    amount_cny = factory.LazyAttribute(lambda o: o.amount)
    rate_percent = Decimal("3.5000")
    loan_type = "credit"
    credit_report_outstanding = Decimal("2000000.00")
    credit_report_date = date(2026, 4, 10)
    filed_on = date(2026, 7, 10)
    quarter = "2026Q2"
    scheme = "MICRO"
    ratio = Decimal("0.30")
    policy_version = "京技管发〔2025〕12号"
    snapshot = factory.LazyFunction(dict)
    # As the filing services decide it from the snapshot.
    qualification_types = factory.LazyAttribute(
        lambda o: filing_qualification_types(o.snapshot, o.drawdown_date))
    outstanding_principal = factory.LazyAttribute(lambda o: o.amount_cny)
    filed_by = factory.SubFactory(UserFactory)


class ClaimFactory(factory.django.DjangoModelFactory[Claim]):
    class Meta:
        model = Claim

    filing = factory.SubFactory(FilingFactory)
    bank = factory.LazyAttribute(lambda o: o.filing.bank)
    number = factory.Sequence(lambda n: f"小微补偿-2026-{n:04d}")
    scheme = factory.LazyAttribute(lambda o: o.filing.scheme)
    base = Decimal("800000.00")
    ratio = factory.LazyAttribute(lambda o: o.filing.ratio)
    compensation = factory.LazyAttribute(
        lambda o: (o.base * o.ratio).quantize(Decimal("0.01")))
    classification_date = date(2026, 9, 30)
    deadline = date(2028, 4, 15)
    submitted_at = factory.LazyFunction(timezone.now)
    created_by = factory.LazyAttribute(lambda o: o.filing.filed_by)


def officer_for(bank: Bank, username: str | None = None):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username) if username else UserFactory()
    officer_grant(user=user, bank=bank)
    return user
