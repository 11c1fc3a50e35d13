"""Notifications that lead to the work: who is told of a new proposal, a supplement answered
and every decision on a bank's claims, and that each message opens its record for the person
told, with the unread count in the header."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from claims import services
from claims.filing.services import claim_resubmit
from claims.models import Claim
from claims.review.services import claim_request_supplement
from notifications.models import Notification

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory, UserFactory
from .test_proposals import THIS_QUARTER, TODAY, passed_claim, refresh, scan
from .test_writeoffs import applied

Kind = Notification.Kind


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def inbox(user, kind: str | None = None) -> list[Notification]:  # type: ignore[no-untyped-def]
    qs = Notification.objects.filter(recipient=user)
    return list(qs.filter(kind=kind) if kind else qs)


def opens(user, notification: Notification) -> str:  # type: ignore[no-untyped-def]
    """Click the message as the user does: it is marked read and leads to a page they may see."""
    client = client_for(user)
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.status_code == 302
    target = response["Location"]
    assert target == notification.url and target != reverse("notifications:list")
    page = client.get(target)
    assert page.status_code == 200, (target, page.status_code)
    notification.refresh_from_db()
    assert notification.read_at is not None
    return page.content.decode()


def bell_count(user) -> int:  # type: ignore[no-untyped-def]
    page = client_for(user).get(reverse("home")).content.decode()
    found = re.search(r'<span class="bell-count">(\d+)</span>', page)
    return int(found.group(1)) if found else 0


@pytest.mark.django_db
def test_a_new_proposal_tells_the_approvers_and_leads_to_its_decision_form(
        bank_a, officer_a, reviewer, approver):
    second = UserFactory(username="approver2", role=Role.APPROVER.value)
    claims = [passed_claim(bank_a, officer_a, reviewer) for _ in range(2)]
    proposal = services.proposal_create(claims=claims, scheme="MICRO", period=THIS_QUARTER,
                                        actor=reviewer)
    for user in (approver, second):
        (note,) = inbox(user, Kind.PROPOSAL)
        assert note.title == f"初审意见 {proposal.number} 待财政确认"
        year, quarter = THIS_QUARTER.split("Q")
        assert f"{year}年第{'一二三四'[int(quarter) - 1]}季度" in note.body
        assert "小微" in note.body and "MICRO" not in note.body
    assert not inbox(reviewer, Kind.PROPOSAL) and not inbox(officer_a, Kind.PROPOSAL)
    assert bell_count(approver) == 1
    page = opens(approver, inbox(approver, Kind.PROPOSAL)[0])
    assert proposal.number in page and "登记财政书面意见" in page
    assert bell_count(approver) == 0


@pytest.mark.django_db
def test_a_supplement_answered_tells_the_reviewers_and_leads_to_the_review(
        bank_a, officer_a, reviewer):
    other = UserFactory(username="reviewer2", role=Role.REVIEWER.value)
    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    claim = ClaimFactory(filing=filing, created_by=officer_a, number="MC-2026-0815")
    claim_request_supplement(claim=claim, message="请补充最新征信报告", actor=reviewer)
    (asked,) = inbox(officer_a, Kind.SUPPLEMENT)
    assert "MC-2026-0815" in opens(officer_a, asked)
    claim_resubmit(claim=refresh(claim), answer="已补充2026年7月征信报告", actor=officer_a)
    for user in (reviewer, other):
        (note,) = inbox(user, Kind.SUPPLEMENT)
        assert note.title == "申报 MC-2026-0815 已补正材料，待重新审核"
        assert bank_a.name in note.body
    assert len(inbox(officer_a)) == 1  # the bank is not told of its own answer
    page = opens(reviewer, inbox(reviewer, Kind.SUPPLEMENT)[0])
    assert "MC-2026-0815" in page


@pytest.mark.django_db
def test_the_bank_hears_of_every_decision_on_its_claims_and_each_opens_the_claim(
        bank_a, officer_a, reviewer, approver):
    from claims.review.services import claim_review_pass

    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    claim = ClaimFactory(filing=filing, created_by=officer_a, number="MC-2026-0901")
    claim_review_pass(claim=claim, note="材料齐全", actor=reviewer)
    # Passed claims wait a day before they are proposed.
    Claim.objects.filter(pk=claim.pk).update(updated_at=timezone.now() - timedelta(days=1))
    proposal = services.proposal_create(claims=[refresh(claim)], scheme="MICRO",
                                        period=THIS_QUARTER, actor=reviewer)
    services.proposal_decide(proposal=proposal, claims=[refresh(claim)], decision="rejected",
                             number="京经开财〔2026〕20号", date=TODAY, document=scan(),
                             reason="借款企业不在经开区", actor=approver)
    titles = [n.title for n in inbox(officer_a, Kind.DECISION)]
    assert sorted(titles) == ["申报 MC-2026-0901：初审通过", "申报 MC-2026-0901：财政不予确认"]
    for note in inbox(officer_a, Kind.DECISION):
        assert "MC-2026-0901" in opens(officer_a, note)


@pytest.mark.django_db
def test_write_off_decisions_tell_the_bank_and_forwarding_tells_the_approvers(
        bank_a, officer_a, reviewer, approver):
    write_off = applied(bank_a, officer_a, reviewer)
    number = write_off.claim.number
    assert not Notification.objects.filter(kind=Kind.WRITE_OFF).exists()  # its own application
    services.writeoff_forward(write_off=write_off, note="裁定书与内部审批齐全", actor=reviewer)
    (to_bank,) = inbox(officer_a, Kind.WRITE_OFF)
    assert to_bank.title == f"申报 {number} 的核销申请：托管机构已审核，待财政确认"
    assert number in opens(officer_a, to_bank)
    (to_bureau,) = inbox(approver, Kind.WRITE_OFF)
    assert number in opens(approver, to_bureau)
    services.writeoff_bureau_reject(write_off=refresh_writeoff(write_off),
                                    number="京经开财〔2026〕21号", date=TODAY, document=scan(),
                                    reason="未穷尽追偿手段", actor=approver)
    titles = {n.title for n in inbox(officer_a, Kind.WRITE_OFF)}
    assert f"申报 {number} 的核销申请：不予核销" in titles


def refresh_writeoff(write_off):  # type: ignore[no-untyped-def]
    return type(write_off).objects.get(pk=write_off.pk)
