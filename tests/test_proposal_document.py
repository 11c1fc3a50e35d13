"""The proposal as the bureau reads it: totals without the claims it rejected, and a PDF with
Chinese names of schemes and quarters and every bank and enterprise name whole."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from claims import services
from claims.models import Claim

from .conftest import client_for
from .factories import BankFactory
from .test_proposals import THIS_QUARTER, TODAY, _pdf_text, passed_claim, refresh, scan

LONG_ENTERPRISE = "北京经济技术开发区亦庄新城高端装备智能制造与工业互联网创新应用科技有限公司"
LONG_BANK = "中国农业发展银行北京市分行营业部经济技术开发区科技金融专营支行普惠金融事业部"
QUARTER_WORDS = {"1": "一", "2": "二", "3": "三", "4": "四"}


def _decided(bank, officer_a, reviewer, approver):  # type: ignore[no-untyped-def]
    kept = passed_claim(bank, officer_a, reviewer, base="1234567.89", enterprise=LONG_ENTERPRISE)
    other = passed_claim(bank, officer_a, reviewer, base="800000.00")
    refused = passed_claim(bank, officer_a, reviewer, base="3000000.00",
                           enterprise="北京亦庄不予确认科技有限公司")
    proposal = services.proposal_create(claims=[kept, other, refused], scheme="MICRO",
                                        period=THIS_QUARTER, actor=reviewer)
    services.proposal_decide(proposal=proposal, claims=[refresh(refused)], decision="rejected",
                             number="京经开财〔2026〕19号", date=TODAY, document=scan(),
                             reason="贷款发放前已列入失信名单", actor=approver)
    return proposal, refresh(kept), refresh(other), refresh(refused)


@pytest.mark.django_db
def test_proposal_total_leaves_out_the_claims_the_bureau_rejected(
        officer_a, bank_a, reviewer, approver):
    proposal, kept, other, refused = _decided(bank_a, officer_a, reviewer, approver)
    assert refused.status == Claim.Status.BUREAU_REJECTED
    expected = kept.compensation + other.compensation
    assert expected == Decimal("610370.37")  # 30% of 1,234,567.89 and of 800,000.00
    client = client_for(reviewer)
    listing = client.get(reverse("claims:proposal_list")).content.decode()
    assert "610,370.37" in listing
    assert f"{expected + refused.compensation:,.2f}" not in listing
    detail = client.get(reverse("claims:proposal_detail", args=[proposal.pk])).content.decode()
    assert "¥610,370.37" in detail
    assert f"{expected + refused.compensation:,.2f}" not in detail


@pytest.mark.django_db
def test_proposal_pdf_has_no_raw_code_and_no_cut_name(officer_a, reviewer, approver):
    bank = BankFactory(name=LONG_BANK, short_name="农发行")
    from .factories import officer_for

    officer = officer_for(bank, "officer_long")
    proposal, kept, other, refused = _decided(bank, officer, reviewer, approver)
    response = client_for(reviewer).get(reverse("claims:proposal_pdf", args=[proposal.pk]))
    _reader, text = _pdf_text(response.content)
    flat = re.sub(r"\s+", "", text)  # a wrapped name comes out of the PDF in several lines
    assert LONG_ENTERPRISE in flat and LONG_BANK in flat
    words = text.replace(proposal.number, "")  # the document's own number is an identifier
    assert "MICRO" not in words and "TECH" not in words
    assert not re.search(r"\d{4}Q[1-4]", words)
    year, quarter = THIS_QUARTER.split("Q")
    assert f"{year}年第{QUARTER_WORDS[quarter]}季度" in flat
    assert "小微企业贷款风险补偿" in flat
    # The total is that of the claims still proposed or confirmed; the rejected one is listed
    # apart with the bureau's document number and reason.
    assert "610,370.37" in text
    assert "三、财政不予确认的申报" in flat and "京经开财〔2026〕19号" in flat
    assert "贷款发放前已列入失信名单" in flat
    assert f"{kept.compensation + other.compensation + refused.compensation:,.2f}" not in text
