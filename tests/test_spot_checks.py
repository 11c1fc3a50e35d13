"""The yearly spot checks of claimed loans (MICRO Art. 10(7), TECH Art. 11(7)): a reproducible
sample from the recorded seed, one draw a year, findings per loan; reviewers draw and record,
auditors read and export, bank officers stay out."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from claims.models import Payment, SpotCheck, SpotCheckItem
from claims.spotcheck.selectors import spot_check_population
from claims.spotcheck.services import spot_check_draw, spot_check_record

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory

_ref = iter(range(1, 100_000))


def paid_claim(bank, officer, *, on: date = date(2026, 5, 20), status: str = "paid"):  # type: ignore[no-untyped-def]
    claim = ClaimFactory.create(filing=FilingFactory.create(bank=bank, filed_by=officer),
                                status=status)
    Payment.objects.create(claim=claim, amount=claim.compensation, paid_on=on,
                           reference=f"SPOT-PAY{next(_ref)}", paid_by=officer)
    return claim


@pytest.fixture
def population(bank_a, bank_b, officer_a, officer_b):  # type: ignore[no-untyped-def]
    """Twelve loans compensated in 2026 (two written off), and others outside the population."""
    claims = [paid_claim(bank_a if i % 2 else bank_b, officer_a if i % 2 else officer_b)
              for i in range(10)]
    claims += [paid_claim(bank_a, officer_a, status="written_off") for _ in range(2)]
    paid_claim(bank_a, officer_a, on=date(2025, 12, 31))  # paid the year before
    ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a), status="confirmed")
    return claims


@pytest.mark.django_db
def test_population_is_the_claims_paid_or_written_off_with_a_payment_in_the_year(population):
    assert set(spot_check_population(year=2026)) == set(population)
    assert spot_check_population(year=2025).count() == 1


@pytest.mark.django_db
def test_the_same_seed_and_population_draw_the_same_sample(population, reviewer):
    check = spot_check_draw(year=2026, sample_size=5, seed="bda-2026", actor=reviewer)
    first = list(check.items.order_by("id").values_list("claim_id", flat=True))
    assert len(first) == 5 and len(set(first)) == 5
    assert set(first) <= {c.pk for c in population}
    check.delete()  # drawn again from the recorded seed, e.g. by an auditor verifying it
    again = spot_check_draw(year=2026, sample_size=5, seed="bda-2026", actor=reviewer)
    assert list(again.items.order_by("id").values_list("claim_id", flat=True)) == first


@pytest.mark.django_db
def test_a_different_seed_draws_a_different_sample(population, reviewer):
    samples = set()
    for seed in ("a", "b", "c"):
        check = spot_check_draw(year=2026, sample_size=4, seed=seed, actor=reviewer)
        samples.add(frozenset(check.items.values_list("claim_id", flat=True)))
        check.delete()
    assert len(samples) > 1


@pytest.mark.django_db
def test_without_a_seed_one_is_generated_and_recorded(population, reviewer):
    check = spot_check_draw(year=2026, sample_size=3, actor=reviewer)
    assert len(check.seed) == 32
    assert check.items.count() == 3
    assert check.drawn_by == reviewer and check.drawn_at is not None


@pytest.mark.django_db
def test_a_second_draw_for_the_same_year_is_refused(population, reviewer):
    spot_check_draw(year=2026, sample_size=3, actor=reviewer)
    with pytest.raises(ValidationError) as exc:
        spot_check_draw(year=2026, sample_size=3, actor=reviewer)
    assert "每年度只抽样一次" in str(exc.value)
    assert SpotCheck.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("year", "size", "message"), [
    (2026, 13, "超过2026年度可抽查的申报数量（12）"),
    (2024, 1, "2024年度没有已拨付或已核销的补偿申报"),
    (2026, 0, "抽样数量至少为1"),
])
def test_an_impossible_draw_is_refused_with_a_clear_message(population, reviewer, year, size,
                                                            message):
    with pytest.raises(ValidationError) as exc:
        spot_check_draw(year=year, sample_size=size, actor=reviewer)
    assert message in str(exc.value)
    assert not SpotCheck.objects.exists()


@pytest.mark.django_db
def test_an_issue_needs_a_finding_and_the_record_keeps_who_and_when(population, reviewer):
    check = spot_check_draw(year=2026, sample_size=2, seed="s", actor=reviewer)
    item = check.items.first()
    with pytest.raises(ValidationError):
        spot_check_record(item=item, result="issue", finding="  ", actor=reviewer)
    with pytest.raises(ValidationError):
        spot_check_record(item=item, result="pending", actor=reviewer)
    spot_check_record(item=item, result="issue", finding="催收记录缺失", actor=reviewer)
    item.refresh_from_db()
    assert item.result == "issue" and item.finding == "催收记录缺失"
    assert item.recorded_by == reviewer and item.recorded_at is not None
    other = check.items.exclude(pk=item.pk).get()
    spot_check_record(item=other, result="compliant", actor=reviewer)
    assert SpotCheckItem.objects.get(pk=other.pk).result == "compliant"


@pytest.mark.django_db
def test_a_finding_recorded_again_keeps_the_earlier_one_on_the_item_page(population, reviewer,
                                                                           auditor):
    check = spot_check_draw(year=2026, sample_size=1, seed="s", actor=reviewer)
    item = check.items.get()
    spot_check_record(item=item, result="issue", finding="催收记录缺失", actor=reviewer)
    spot_check_record(item=item, result="compliant", finding="银行已补交催收记录", actor=reviewer)
    for user in (reviewer, auditor):
        page = client_for(user).get(reverse("claims:spotcheck_item", args=[item.pk]))
        text = page.content.decode()
        trail = text[text.index('id="audit-trail"'):]
        assert "催收记录缺失" in trail and "银行已补交催收记录" in trail and "发现问题" in trail


@pytest.mark.django_db
def test_reviewer_draws_through_the_screen_and_records_a_finding(population, reviewer):
    client = client_for(reviewer)
    form = client.get(reverse("claims:spotcheck_draw")).content.decode()
    assert "data-confirm" in form and "2026" in form
    response = client.post(reverse("claims:spotcheck_draw"),
                           {"year": "2026", "sample_size": "4", "seed": "screen"})
    check = SpotCheck.objects.get(year=2026)
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:spotcheck_detail", args=[check.pk])
    again = client.post(reverse("claims:spotcheck_draw"), {"year": "2026", "sample_size": "4"})
    assert again.status_code == 200 and "每年度只抽样一次" in again.content.decode()
    detail = client.get(reverse("claims:spotcheck_detail", args=[check.pk])).content.decode()
    item = check.items.select_related("claim__filing__enterprise").first()
    assert item.claim.number in detail and item.claim.filing.enterprise.name in detail
    url = reverse("claims:spotcheck_item", args=[item.pk])
    missing = client.post(url, {"result": "issue", "finding": ""})
    assert missing.status_code == 200 and "发现问题时必须填写检查发现" in missing.content.decode()
    done = client.post(url, {"result": "issue", "finding": "承诺函未签章"})
    assert done.status_code == 302
    assert SpotCheckItem.objects.get(pk=item.pk).finding == "承诺函未签章"
    listing = client.get(reverse("claims:spotcheck_list")).content.decode()
    assert "screen" in listing


@pytest.mark.django_db
def test_auditor_reads_and_exports_but_cannot_draw_or_record(population, reviewer, auditor):
    check = spot_check_draw(year=2026, sample_size=3, seed="audit", actor=reviewer)
    item = check.items.select_related("claim").first()
    spot_check_record(item=item, result="issue", finding="=SUM(A1)", actor=reviewer)
    client = client_for(auditor)
    assert client.get(reverse("claims:spotcheck_list")).status_code == 200
    assert client.get(reverse("claims:spotcheck_detail", args=[check.pk])).status_code == 200
    page = client.get(reverse("claims:spotcheck_item", args=[item.pk])).content.decode()
    assert "<form method=\"post\"" not in page
    assert client.get(reverse("claims:spotcheck_draw")).status_code == 403
    assert client.post(reverse("claims:spotcheck_item", args=[item.pk]),
                       {"result": "compliant"}).status_code == 403
    export = client.get(reverse("claims:spotcheck_detail", args=[check.pk]), {"export": "xlsx"})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4 and rows[0][0] == "申报编号"
    found = next(r for r in rows[1:] if r[0] == item.claim.number)
    assert Decimal(str(found[7])).quantize(Decimal("0.01")) == item.claim.compensation
    assert found[11] == "=SUM(A1)"  # written as text, never a formula


@pytest.mark.django_db
def test_bank_officers_and_the_bureau_have_no_access(population, reviewer, officer_a, approver):
    check = spot_check_draw(year=2026, sample_size=1, actor=reviewer)
    for user in (officer_a, approver):
        client = client_for(user)
        assert client.get(reverse("claims:spotcheck_list")).status_code == 403
        assert client.get(reverse("claims:spotcheck_detail", args=[check.pk])).status_code == 403


@pytest.mark.django_db
def test_the_nav_shows_spot_checks_to_reviewers_and_auditors_only(reviewer, auditor, officer_a):
    url = reverse("claims:spotcheck_list")
    for user, shown in ((reviewer, True), (auditor, True), (officer_a, False)):
        assert (f'href="{url}"' in client_for(user).get(reverse("home")).content.decode()) is shown
