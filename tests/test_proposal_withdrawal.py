"""Taking a claim back out of a proposal before the bureau decides it: the claim returns to the
passed claims (free for a later proposal), the proposal keeps the withdrawal with its reason,
the bank and the bureau are told."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Claim, ClaimStatusChange, Proposal, ProposalWithdrawal
from notifications.models import Notification

from .conftest import client_for
from .test_proposals import (  # noqa: F401 - _media: the scans go to a temporary folder
    THIS_QUARTER,
    _media,
    _pdf_text,
    field_codes,
    proposed,
    refresh,
    scan,
)


@pytest.mark.django_db
def test_a_withdrawn_claim_returns_to_passed_and_the_proposal_keeps_the_record(
        bank_a, officer_a, reviewer, approver):
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    decisions = Notification.objects.filter(kind=Notification.Kind.DECISION, recipient=officer_a)
    before = decisions.count()
    withdrawal = services.proposal_withdraw(claim=first, reason="  银行申请撤回，借款人已还款  ",
                                            actor=reviewer)
    first = refresh(first)
    assert first.status == Claim.Status.PASSED and first.proposal_id is None
    assert (withdrawal.proposal, withdrawal.claim, withdrawal.reason, withdrawal.withdrawn_by) == (
        proposal, first, "银行申请撤回，借款人已还款", reviewer)
    change = ClaimStatusChange.objects.filter(claim=first).latest("pk")
    assert (change.from_status, change.to_status) == (Claim.Status.PROPOSED, Claim.Status.PASSED)
    assert proposal.number in change.note and "借款人已还款" in change.note
    assert list(Proposal.objects.get(pk=proposal.pk).claims.all()) == [second]
    # The bank's officers and the bureau's approvers hear of it; it is no new decision.
    told = Notification.objects.filter(kind=Notification.Kind.WITHDRAWAL)
    assert set(told.values_list("recipient", flat=True)) == {officer_a.pk, approver.pk}
    assert decisions.count() == before
    assert "借款人已还款" in told.filter(recipient=officer_a).get().body
    # Free again: it goes into the next proposal.
    later = services.proposal_create(claims=[first], scheme="MICRO", period=THIS_QUARTER,
                                     actor=reviewer)
    assert refresh(first).proposal == later and refresh(first).status == Claim.Status.PROPOSED


@pytest.mark.django_db
def test_the_proposal_is_decided_or_withdrawn_once_nothing_waits(bank_a, officer_a, reviewer,
                                                                 approver):
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    services.claim_confirm(claim=first, number="京开财〔2026〕8号", date=timezone.localdate(),
                           document=scan(), actor=approver)
    services.proposal_withdraw(claim=second, reason="材料有误", actor=reviewer)
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.DECIDED

    emptied, claims = proposed(bank_a, officer_a, reviewer)
    for claim in claims:
        services.proposal_withdraw(claim=claim, reason="全部撤回", actor=reviewer)
    emptied.refresh_from_db()
    assert emptied.status == Proposal.Status.WITHDRAWN and emptied.decided_at is None
    assert emptied.withdrawals.count() == 2


@pytest.mark.django_db
def test_withdrawal_needs_a_reason_and_a_claim_still_waiting_on_the_bureau(
        bank_a, officer_a, reviewer, approver):
    _proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.proposal_withdraw(claim=first, reason="   ", actor=reviewer)
    assert field_codes(exc) == {"reason": ["reason_missing"]}
    services.claim_confirm(claim=first, number="京开财〔2026〕9号", date=timezone.localdate(),
                           document=scan(), actor=approver)
    with pytest.raises(ValidationError) as exc:
        services.proposal_withdraw(claim=first, reason="太迟了", actor=reviewer)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    services.proposal_withdraw(claim=second, reason="一次", actor=reviewer)
    with pytest.raises(ValidationError):  # twice: it is back to passed
        services.proposal_withdraw(claim=second, reason="两次", actor=reviewer)
    assert ProposalWithdrawal.objects.count() == 1
    assert refresh(first).status == Claim.Status.CONFIRMED


@pytest.mark.django_db
def test_a_proposed_claim_in_no_proposal_is_refused_and_nothing_is_written(
        bank_a, officer_a, reviewer):
    _proposal, (first, _second) = proposed(bank_a, officer_a, reviewer)
    Claim.objects.filter(pk=first.pk).update(proposal=None)  # a row left inconsistent
    with pytest.raises(ValidationError) as exc:
        services.proposal_withdraw(claim=first, reason="撤回", actor=reviewer)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    assert "待财政确认" in exc.value.messages[0]
    assert refresh(first).status == Claim.Status.PROPOSED
    assert not ProposalWithdrawal.objects.exists()


@pytest.mark.django_db
def test_reviewer_withdraws_on_the_screen_after_confirming(bank_a, officer_a, reviewer,
                                                          approver, auditor):
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    client = client_for(reviewer)
    page = client.get(reverse("claims:proposal_detail", args=[proposal.pk])).content.decode()
    url = reverse("claims:proposal_withdraw", args=[first.pk])
    assert url in page
    form = client.get(url).content.decode()
    assert "data-confirm" in form and proposal.number in form and first.number in form
    current = reverse("claims:proposal_list")
    assert f'href="{current}" class="active" aria-current="page"' in form  # the nav's entry
    # Without a reason: the form says so and nothing changes.
    answer = client.post(url, {"reason": ""}).content.decode()
    assert "必填" in answer or "请填写" in answer
    assert refresh(first).status == Claim.Status.PROPOSED
    response = client.post(url, {"reason": "银行申请撤回"})
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:proposal_detail", args=[proposal.pk])
    page = client.get(response["Location"]).content.decode()
    assert "已撤回的申报" in page and "银行申请撤回" in page
    # A second submit of the same form: the claim is no longer in a proposal.
    again = client.post(url, {"reason": "银行申请撤回"}, follow=True).content.decode()
    assert "不在任何初审意见中" in again
    assert ProposalWithdrawal.objects.count() == 1
    # Only the custodian's reviewer withdraws; the bureau and auditors see the record.
    for user in (approver, auditor, officer_a):
        assert client_for(user).post(reverse("claims:proposal_withdraw", args=[second.pk]),
                                     {"reason": "x"}).status_code == 403
    for user in (approver, auditor):
        shown = client_for(user).get(reverse("claims:proposal_detail", args=[proposal.pk]))
        text = shown.content.decode()
        assert "银行申请撤回" in text and reverse("claims:proposal_withdraw",
                                                args=[second.pk]) not in text


@pytest.mark.django_db
def test_the_pdf_lists_the_withdrawn_claims_outside_its_totals(bank_a, officer_a, reviewer):
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    services.proposal_withdraw(claim=first, reason="借款人已结清", actor=reviewer)
    response = client_for(reviewer).get(reverse("claims:proposal_pdf", args=[proposal.pk]))
    _reader, text = _pdf_text(response.content)
    assert "已撤回的申报" in text and "借款人已结清" in text and first.number in text
    assert f"{refresh(second).compensation:,.2f}" in text
    assert "下列 1 笔补偿申报" in text
