"""Two-factor authentication (TOTP) for custodian reviewers, bureau approvers, auditors and
admins: after the password they give a token, enrolling an authenticator on first login; until
then every page but the 2FA step and logout sends them there. Bank officers are not asked."""

import re
import time
from base64 import b32decode
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.security import PENDING_TOTP_KEY, VERIFIED_AT

from .factories import UserFactory

PASSWORD = "Secret-pass-123"


@pytest.fixture(autouse=True)
def _two_factor_on(settings):  # type: ignore[no-untyped-def]
    settings.RISKCOMP_2FA_REQUIRED = True


def token_for(key_hex: str, *, offset: int = 0) -> str:
    return f"{totp(bytes.fromhex(key_hex), drift=offset):06d}"


def password_login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def two_factor_url(next_url: str) -> str:
    return f"{reverse('accounts:two_factor')}?next={quote(next_url, safe='')}"


def with_device(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=user, name="手机", confirmed=True)


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["reviewer", "approver", "auditor", "admin_user_"])
def test_roles_that_need_it_are_sent_to_the_second_step_from_every_page(request, role_fixture):
    user = request.getfixturevalue(role_fixture)
    with_device(user)
    client = password_login(user.username)
    for url in (reverse("home"), reverse("claims:claim_list"), reverse("accounts:sessions"),
                reverse("accounts:reauth"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == two_factor_url(url), url
    step = client.get(reverse("accounts:two_factor"))
    assert step.status_code == 200
    assert 'class="mainnav"' not in step.content.decode()  # nothing to see before the token
    # The ways out stay open.
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_bank_officers_are_not_asked_for_a_second_factor(officer_a):
    client = password_login(officer_a.username)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("accounts:two_factor"))["Location"] == reverse("home")


@pytest.mark.django_db
def test_a_token_from_the_authenticator_opens_the_portal(reviewer):
    device = with_device(reviewer)
    client = password_login("reviewer")
    nxt = reverse("claims:claim_list")
    response = client.post(reverse("accounts:two_factor"),
                           {"token": token_for(device.key), "next": nxt})
    assert response["Location"] == nxt
    assert client.get(nxt).status_code == 200
    assert client.get(reverse("home")).status_code == 200
    device.refresh_from_db()
    assert device.last_used_at is not None


@pytest.mark.django_db
def test_a_wrong_or_replayed_token_is_refused(reviewer):
    device = with_device(reviewer)
    first = password_login("reviewer")
    wrong = first.post(reverse("accounts:two_factor"), {"token": "000000" if token_for(
        device.key) != "000000" else "111111"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    assert first.get(reverse("home")).status_code == 302
    time.sleep(1.1)  # django-otp waits one second after a failure before it checks again
    token = token_for(device.key)
    assert first.post(reverse("accounts:two_factor"), {"token": token}).status_code == 302
    # The same token, seen by an eavesdropper, does not open a second session.
    second = password_login("reviewer")
    replay = second.post(reverse("accounts:two_factor"), {"token": token})
    assert replay.status_code == 200
    assert second.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_repeated_wrong_tokens_are_throttled(reviewer):
    device = with_device(reviewer)
    client = password_login("reviewer")
    bad = "000000" if token_for(device.key) != "000000" else "111111"
    for _ in range(3):
        client.post(reverse("accounts:two_factor"), {"token": bad})
    # Now locked for a few seconds: even the right token is refused, with the reason.
    response = client.post(reverse("accounts:two_factor"), {"token": token_for(device.key)})
    assert response.status_code == 200
    assert "验证失败次数过多" in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def issue_code(user) -> str:  # type: ignore[no-untyped-def]
    from accounts import services

    admin = UserFactory(is_superuser=True, is_staff=True)
    return services.totp_enrolment_code_issue(user=user, actor=admin)[0]


@pytest.mark.django_db
def test_first_login_enrolls_an_authenticator_from_a_qr_code(reviewer):
    code = issue_code(reviewer)
    client = password_login("reviewer")
    home = client.get(reverse("home"))
    verify = client.get(home["Location"])
    setup = reverse("accounts:two_factor_setup")
    assert verify["Location"] == f"{setup}?next=%2F"
    # First the administrator's one-time code; nothing of the secret is shown before it.
    ask = client.get(verify["Location"]).content.decode()
    assert 'name="code"' in ask and "totp-secret" not in ask and "totp-qr" not in ask
    accepted = client.post(setup, {"code": code.lower().replace("-", " "), "next": "/"})
    assert accepted["Location"] == f"{setup}?next=%2F"
    page = client.get(accepted["Location"])
    html = page.content.decode()
    # The QR code is drawn by the server as an image data URI; no script, no CDN.
    assert re.search(r'<img class="totp-qr" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+"',
                     html)
    secret = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', html).group(1)
    key = client.session[PENDING_TOTP_KEY]
    assert b32decode(secret.replace(" ", "") + "=" * (-len(secret.replace(" ", "")) % 8)) \
        == bytes.fromhex(key)
    assert not TOTPDevice.objects.exists()  # opening the page writes nothing
    assert client.get(setup).content.decode().count(secret) == 1  # the same secret on reload
    wrong = client.post(setup, {"token": "12345x"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.exists()
    done = client.post(setup, {"token": token_for(key), "next": "/"})
    assert done["Location"] == "/"
    device = TOTPDevice.objects.get(user=reviewer)
    assert device.confirmed and device.key == key
    assert client.get(reverse("home")).status_code == 200
    assert PENDING_TOTP_KEY not in client.session
    # The enrolled user is asked for a token, not a new enrolment, next time.
    again = password_login("reviewer")
    assert again.get(setup)["Location"].startswith(reverse("accounts:two_factor"))


@pytest.mark.django_db
def test_enrolment_accepts_one_step_of_clock_drift(approver):
    code = issue_code(approver)
    client = password_login("approver")
    client.post(reverse("accounts:two_factor_setup"), {"code": code})
    client.get(reverse("accounts:two_factor_setup"))
    key = client.session[PENDING_TOTP_KEY]
    assert client.post(reverse("accounts:two_factor_setup"),
                       {"token": token_for(key, offset=-1)}).status_code == 302
    assert TOTPDevice.objects.filter(user=approver, confirmed=True).count() == 1


@pytest.mark.django_db
def test_verifying_counts_as_a_recent_password_for_payments(reviewer):
    device = with_device(reviewer)
    client = password_login("reviewer")
    session = client.session
    session[VERIFIED_AT] = time.time() - 3600
    session.save()
    client.post(reverse("accounts:two_factor"), {"token": token_for(device.key)})
    assert time.time() - client.session[VERIFIED_AT] < 60


@pytest.mark.django_db
def test_confirming_before_a_payment_asks_for_a_fresh_token_too(reviewer):
    from accounts.models import SecurityEvent

    device = with_device(reviewer)
    client = password_login("reviewer")
    assert client.post(reverse("accounts:two_factor"),
                       {"token": token_for(device.key)}).status_code == 302
    session = client.session
    session[VERIFIED_AT] = time.time() - 3600  # an hour ago: paying asks again
    session.save()
    confirm = reverse("accounts:reauth")
    page = client.get(confirm).content.decode()
    assert 'name="password"' in page and 'name="token"' in page
    # The password alone is not enough, nor a wrong token.
    assert "token" in client.post(confirm, {"password": PASSWORD}).context["form"].errors
    time.sleep(1.1)  # django-otp waits one second after a failure before it checks again
    wrong = "000000" if token_for(device.key, offset=2) != "000000" else "111111"
    refused = client.post(confirm, {"password": PASSWORD, "token": wrong})
    assert "验证码不正确" in refused.content.decode()
    assert time.time() - client.session[VERIFIED_AT] > 3000
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.TOTP_FAILED).exists()
    time.sleep(1.1)
    # A wrong password with the right token: refused, and the token is not spent.
    next_token = token_for(device.key, offset=1)
    assert client.post(confirm, {"password": "not-it", "token": next_token}).status_code == 200
    done = client.post(confirm, {"password": PASSWORD, "token": next_token, "next": "/"})
    assert done.status_code == 302 and time.time() - client.session[VERIFIED_AT] < 60


@pytest.mark.django_db
def test_htmx_requests_are_redirected_as_a_whole_page(reviewer):
    with_device(reviewer)
    client = password_login("reviewer")
    response = client.get(reverse("calculator"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == two_factor_url(reverse("calculator"))


@pytest.mark.django_db
def test_off_by_setting_nobody_is_asked(settings, reviewer):
    settings.RISKCOMP_2FA_REQUIRED = False
    client = password_login("reviewer")
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_a_user_without_a_role_is_not_asked():
    UserFactory(username="nobody")
    client = password_login("nobody")
    assert client.get(reverse("home")).status_code == 200
