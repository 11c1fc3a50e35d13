"""Binding an authenticator needs a one-time code the administrator issued: a stolen staff
password alone no longer lets whoever logs in first bind their own phone to the account. The
code is shown once, kept only as a hash, expires and is spent by the enrolment."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import SecurityEvent, TotpEnrolmentCode
from accounts.security import PENDING_TOTP_KEY

from .conftest import client_for
from .test_two_factor import issue_code, password_login, token_for

CODE = re.compile(r"\b([A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4})\b")
SETUP = "accounts:two_factor_setup"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):  # type: ignore[no-untyped-def]
    settings.RISKCOMP_2FA_REQUIRED = True


def enrol(client: Client, code: str) -> Client:
    """Type ``code``, then bind an authenticator with the secret shown; returns the client."""
    client.post(reverse(SETUP), {"code": code})
    client.get(reverse(SETUP))
    key = client.session.get(PENDING_TOTP_KEY)
    if key:
        client.post(reverse(SETUP), {"token": token_for(key)})
    return client


@pytest.mark.django_db
def test_a_password_alone_does_not_bind_an_authenticator(reviewer):
    client = password_login("reviewer")
    page = client.get(reverse(SETUP)).content.decode()
    assert "绑定码" in page and "totp-secret" not in page
    assert PENDING_TOTP_KEY not in client.session
    # Posting a token straight away binds nothing either.
    refused = client.post(reverse(SETUP), {"token": "123456"})
    assert refused.status_code == 200 and "totp-secret" not in refused.content.decode()
    assert not TOTPDevice.objects.exists()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ABCD-EFGH-JKLM", "", "x" * 40])
def test_a_wrong_code_is_refused_and_recorded(reviewer, typed):
    issue_code(reviewer)
    client = password_login("reviewer")
    response = client.post(reverse(SETUP), {"code": typed})
    assert response.status_code == 200
    assert "totp-secret" not in response.content.decode()
    assert not TOTPDevice.objects.exists()
    if typed:
        assert "绑定码不正确、已使用或已过期" in response.content.decode()
        assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_CODE_FAILED,
                                            user=reviewer).exists()


@pytest.mark.django_db
def test_an_expired_code_is_refused(reviewer):
    code = issue_code(reviewer)
    TotpEnrolmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    enrol(password_login("reviewer"), code)
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_a_code_that_expires_between_the_two_steps_binds_nothing(reviewer):
    code = issue_code(reviewer)
    client = password_login("reviewer")
    client.post(reverse(SETUP), {"code": code})
    client.get(reverse(SETUP))
    key = client.session[PENDING_TOTP_KEY]
    TotpEnrolmentCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse(SETUP), {"token": token_for(key)})
    assert response.status_code == 200 and 'name="code"' in response.content.decode()
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_the_code_is_spent_by_the_enrolment(reviewer):
    code = issue_code(reviewer)
    enrol(password_login("reviewer"), code)
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).count() == 1
    row = TotpEnrolmentCode.objects.get(user=reviewer)
    assert row.used_at is not None
    # The phone is lost, the administrator deletes the device: the old code opens nothing.
    TOTPDevice.objects.all().delete()
    enrol(password_login("reviewer"), code)
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_a_code_is_for_one_user_only(reviewer, approver):
    code = issue_code(reviewer)
    enrol(password_login("approver"), code)
    assert not TOTPDevice.objects.exists()


@pytest.mark.django_db
def test_a_new_code_voids_the_earlier_one(reviewer):
    first = issue_code(reviewer)
    second = issue_code(reviewer)
    assert first != second
    enrol(password_login("reviewer"), first)
    assert not TOTPDevice.objects.exists()
    enrol(password_login("reviewer"), second)
    assert TOTPDevice.objects.filter(user=reviewer).count() == 1


@pytest.mark.django_db
def test_only_a_hash_is_kept(reviewer, admin_user_):
    code, row = services.totp_enrolment_code_issue(user=reviewer, actor=admin_user_)
    assert CODE.fullmatch(code)
    stored = TotpEnrolmentCode.objects.get(pk=row.pk)
    raw = code.replace("-", "")
    assert raw not in stored.code_hash and code not in stored.code_hash
    assert stored.code_hash.startswith(("pbkdf2_", "argon2", "bcrypt", "md5$"))
    assert stored.issued_by == admin_user_
    assert stored.expires_at - stored.created_at == timedelta(hours=72)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.TOTP_CODE_ISSUED)
    assert event.user == admin_user_ and "reviewer" in event.detail and raw not in event.detail


@pytest.mark.django_db
def test_the_administrator_issues_a_code_in_the_admin_and_sees_it_once(settings, reviewer,
                                                                      admin_user_):
    settings.RISKCOMP_2FA_REQUIRED = False  # the administrator's own second step is tested above
    admin = client_for(admin_user_)
    add = reverse("admin:accounts_totpenrolmentcode_add")
    assert admin.get(add).status_code == 200
    issued = admin.post(add, {"user": reviewer.pk})
    assert issued.status_code == 200
    page = issued.content.decode()
    code = CODE.search(page).group(1)
    assert "只显示这一次" in page
    # The list shows who, when and until when; never the code.
    listing = admin.get(reverse("admin:accounts_totpenrolmentcode_changelist")).content.decode()
    assert "reviewer" in listing and code not in listing
    row = TotpEnrolmentCode.objects.get()
    assert admin.get(reverse("admin:accounts_totpenrolmentcode_change", args=[row.pk])
                     ).content.decode().count(code) == 0
    # The reviewer binds with it.
    settings.RISKCOMP_2FA_REQUIRED = True
    enrol(password_login("reviewer"), code)
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).exists()


@pytest.mark.django_db
def test_a_bank_officer_cannot_issue_codes(officer_a, reviewer):
    response = client_for(officer_a).post(reverse("admin:accounts_totpenrolmentcode_add"),
                                          {"user": reviewer.pk})
    assert response.status_code == 302  # to the admin login
    assert not TotpEnrolmentCode.objects.exists()


@pytest.mark.django_db
def test_the_first_administrator_gets_a_code_on_the_server(admin_user_):
    out = StringIO()
    call_command("totp_enrolment_code", admin_user_.username, stdout=out)
    code = CODE.search(out.getvalue()).group(1)
    assert TotpEnrolmentCode.objects.get().issued_by is None
    enrol(password_login(admin_user_.username), code)
    assert TOTPDevice.objects.filter(user=admin_user_, confirmed=True).exists()
