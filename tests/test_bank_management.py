"""The custodian manages banks: agreements per scheme, officers, and manual TECH Art. 17
suspension with a reason."""

from datetime import date

import pytest
from django.urls import reverse

from banks.models import BankUserObjectPermission, CooperationAgreement, SuspensionState

from .conftest import client_for
from .factories import AgreementFactory, UserFactory


@pytest.mark.django_db
def test_reviewer_records_and_terminates_an_agreement(bank_a, reviewer):
    client = client_for(reviewer)
    data = {"scheme": "TECH", "number": "KC-2026-009", "signed_on": "2026-01-05",
            "valid_from": "2026-01-05", "valid_to": "2028-06-29"}
    client.post(reverse("banks:agreement_add", args=[bank_a.pk]), data)
    agreement = CooperationAgreement.objects.get(number="KC-2026-009")
    assert agreement.bank == bank_a and agreement.status == "active"
    # An overlapping second active agreement is refused.
    response = client.post(reverse("banks:agreement_add", args=[bank_a.pk]),
                           {**data, "number": "KC-2026-010"}, follow=True)
    assert "重叠" in response.content.decode()
    assert not CooperationAgreement.objects.filter(number="KC-2026-010").exists()
    # Terminating needs a reason.
    client.post(reverse("banks:agreement_end", args=[agreement.pk]), {"reason": ""})
    agreement.refresh_from_db()
    assert agreement.status == "active"
    client.post(reverse("banks:agreement_end", args=[agreement.pk]), {"reason": "银行申请退出"})
    agreement.refresh_from_db()
    assert agreement.status == "terminated" and "银行申请退出" in agreement.note


@pytest.mark.django_db
def test_agreement_dates_must_be_ordered(bank_a, reviewer):
    response = client_for(reviewer).post(
        reverse("banks:agreement_add", args=[bank_a.pk]),
        {"scheme": "MICRO", "number": "X-1", "signed_on": "2026-01-05",
         "valid_from": "2026-06-01", "valid_to": "2026-01-01"}, follow=True)
    assert "到期日期不能早于生效日期" in response.content.decode()
    assert CooperationAgreement.objects.count() == 0


@pytest.mark.django_db
def test_manual_tech_suspension_from_the_bank_page(bank_a, reviewer):
    client = client_for(reviewer)
    url = reverse("banks:manual_suspension", args=[bank_a.pk])
    client.post(url, {"action": "suspend", "reason": ""})
    assert not SuspensionState.objects.filter(bank=bank_a).exists()
    client.post(url, {"action": "suspend", "reason": "追偿不力"})
    assert SuspensionState.objects.get(bank=bank_a, scheme="TECH").is_suspended
    page = client.get(reverse("banks:bank_detail", args=[bank_a.pk])).content.decode()
    assert "追偿不力" in page and "已暂停" in page
    client.post(url, {"action": "lift", "reason": "已整改"})
    assert not SuspensionState.objects.get(bank=bank_a, scheme="TECH").is_suspended


@pytest.mark.django_db
def test_reviewer_grants_and_revokes_an_officer(bank_a, reviewer):
    newcomer = UserFactory(username="newcomer")
    client = client_for(reviewer)
    client.post(reverse("banks:officer_add", args=[bank_a.pk]), {"username": "newcomer"})
    assert BankUserObjectPermission.objects.filter(user=newcomer, content_object=bank_a).exists()
    assert newcomer.groups.filter(name="bank_officer").exists()
    page = client.get(reverse("banks:bank_detail", args=[bank_a.pk])).content.decode()
    assert "newcomer" in page
    client.post(reverse("banks:officer_remove", args=[bank_a.pk, newcomer.pk]))
    assert not BankUserObjectPermission.objects.filter(user=newcomer).exists()


@pytest.mark.django_db
def test_a_reviewer_account_cannot_be_made_an_officer(bank_a, reviewer, approver):
    client_for(reviewer).post(reverse("banks:officer_add", args=[bank_a.pk]),
                              {"username": approver.username})
    assert not BankUserObjectPermission.objects.filter(user=approver).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["approver", "auditor", "officer_a"])
def test_only_the_custodian_manages_banks(request, bank_a, fixture):
    AgreementFactory(bank=bank_a, valid_from=date(2025, 7, 1))
    client = client_for(request.getfixturevalue(fixture))
    assert client.post(reverse("banks:manual_suspension", args=[bank_a.pk]),
                       {"action": "suspend", "reason": "x"}).status_code == 403
    assert not SuspensionState.objects.exists()
