"""The security trail (审计日志 › 安全事件): logins and failed ones, lockouts, logouts, second
factor and password confirmations, ended sessions and password changes, each with who, when and
from which address; read and exported by auditors and the administrator only, changed by
nobody."""

import io
import time

import openpyxl
import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent
from accounts.security import VERIFIED_AT

from .conftest import client_for

PASSWORD = "Secret-pass-123"  # tests/factories.py UserFactory
Kind = SecurityEvent.Kind
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def browser(ip: str = "10.8.8.8") -> Client:
    return Client(HTTP_USER_AGENT=UA, REMOTE_ADDR=ip)


def login(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password})


def kinds() -> list[str]:
    return list(SecurityEvent.objects.order_by("pk").values_list("kind", flat=True))


@pytest.mark.django_db
def test_login_failure_lockout_and_logout_are_recorded_with_address_and_browser(reviewer):
    client = browser()
    assert login(client, "reviewer", "wrong-password").status_code == 200
    assert login(client, "nobody-here", "x").status_code == 200
    assert login(client, "reviewer").status_code == 302
    client.post(reverse("logout"))
    assert kinds() == [Kind.LOGIN_FAILED, Kind.LOGIN_FAILED, Kind.LOGIN, Kind.LOGOUT]
    failed, unknown, ok, out = SecurityEvent.objects.order_by("pk")
    assert (failed.user, failed.username, failed.ip_address) == (None, "reviewer", "10.8.8.8")
    assert (unknown.user, unknown.username) == (None, "nobody-here")
    assert (ok.user, ok.username, ok.user_agent) == (reviewer, "reviewer", UA)
    assert out.user == reviewer
    for _ in range(5):
        last = login(browser("10.9.9.9"), "reviewer", "wrong-password")
    assert last.status_code == 429
    assert SecurityEvent.objects.filter(kind=Kind.LOCKED_OUT, username="reviewer",
                                        ip_address="10.9.9.9").count() == 1


@pytest.mark.django_db
def test_password_confirmation_second_factor_sessions_and_password_change(settings, reviewer):
    client = browser()
    login(client, "reviewer")
    session = client.session
    session[VERIFIED_AT] = time.time() - 3600  # long ago: paying asks for the password again
    session.save()
    confirm = reverse("accounts:reauth")
    client.post(confirm, {"password": "wrong-password", "next": "/"})
    client.post(confirm, {"password": PASSWORD, "next": "/"})
    other = browser("10.7.7.7")
    login(other, "reviewer")
    client.post(reverse("accounts:session_end"), {"all": "1"})
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Another-pass-456",
        "new_password2": "Another-pass-456"})
    assert response.status_code == 302
    assert kinds() == [Kind.LOGIN, Kind.REAUTH_FAILED, Kind.REAUTH, Kind.LOGIN,
                       Kind.SESSION_ENDED, Kind.PASSWORD_CHANGED]
    ended = SecurityEvent.objects.get(kind=Kind.SESSION_ENDED)
    assert ended.user == reviewer and "1" in ended.detail
    assert SecurityEvent.objects.get(kind=Kind.REAUTH_FAILED).user == reviewer

    # A wrong token at the second step of the login.
    settings.RISKCOMP_2FA_REQUIRED = True
    TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    third = browser()
    login(third, "reviewer", "Another-pass-456")
    third.post(reverse("accounts:two_factor"), {"token": "000000"})
    third.post(reverse("accounts:two_factor"), {"token": "111111"})
    assert SecurityEvent.objects.filter(kind=Kind.TOTP_FAILED, user=reviewer).count() == 2


@pytest.mark.django_db
def test_auditors_search_filter_and_export_the_security_trail(auditor, reviewer, approver,
                                                             officer_a, admin_user_):
    login(browser("10.1.2.3"), "reviewer", "wrong-password")
    login(browser("10.1.2.4"), "approver")
    client = client_for(auditor)
    url = reverse("audit:security")
    page = client.get(url).content.decode()
    assert "10.1.2.3" in page and "10.1.2.4" in page and "登录失败" in page
    only_failures = client.get(url, {"kind": Kind.LOGIN_FAILED}).content.decode()
    assert "10.1.2.3" in only_failures and "10.1.2.4" not in only_failures
    by_address = client.get(url, {"q": "10.1.2.4"}).content.decode()
    assert "10.1.2.4" in by_address and "10.1.2.3" not in by_address
    export = client.get(url, {"kind": Kind.LOGIN_FAILED, "export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert any("10.1.2.3" in row for row in rows) and not any("10.1.2.4" in row for row in rows)
    # The trail page links to it for auditors; nobody else opens it.
    assert url in client.get(reverse("audit:search")).content.decode()
    for user in (reviewer, approver, officer_a):
        assert client_for(user).get(url).status_code == 403
    assert url not in client_for(reviewer).get(reverse("audit:search")).content.decode()
    assert client_for(admin_user_).get(url).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_to_change_the_security_trail(reviewer):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    login(browser(), "reviewer")
    event = SecurityEvent.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).update(username="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        SecurityEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.username == "reviewer"
