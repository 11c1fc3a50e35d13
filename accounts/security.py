"""What the portal keeps in the session about how the user proved who they are, and the rules
built on it: who needs a second factor, and when a sensitive action asks for the password again.

Session values (all plain JSON):
- ``LOGIN_AT``: Unix time of the password login; the session ends 12 hours after it.
- ``SEEN_AT``: Unix time of the last request, kept to the minute; 30 minutes after it the
  session is over.
- ``VERIFIED_AT``: Unix time the user last proved it is them (password at login, TOTP token, or
  the "confirm your password" page); ``reauth_required`` compares against it.
- ``PENDING_POST``: a form posted while the password was due (its fields, and where its files
  wait in storage), replayed once the password is confirmed, within ``PENDING_POST_MAX_AGE``.
- ``SESSION_KEY``: the session key the ``UserSession`` row was written for, to notice a key cycled
  by a password change.
"""

import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of

if TYPE_CHECKING:
    from django.http.request import _ImmutableQueryDict

LOGIN_AT = "riskcomp_login_at"
SEEN_AT = "riskcomp_seen_at"
VERIFIED_AT = "riskcomp_verified_at"
SESSION_KEY = "riskcomp_session_key"
PENDING_TOTP_KEY = "riskcomp_pending_totp_key"
# The enrolment code the user has typed and the server accepted (its row id), until bound.
ENROLMENT_GRANT_KEY = "riskcomp_totp_enrolment_grant"
PENDING_POST = "riskcomp_reauth_pending_post"
# Long enough to find the password and type it; a form left longer is not submitted behind the
# user's back.
PENDING_POST_MAX_AGE = 10 * 60
PENDING_DIR = "reauth-pending"

# The roles that pay, confirm, read everything or administer: a stolen password alone must not
# be enough for them. Bank officers see only their own bank and are not required.
TWO_FACTOR_ROLES = frozenset({Role.REVIEWER, Role.APPROVER, Role.AUDITOR, Role.ADMIN})


def two_factor_required(user: Any) -> bool:
    return bool(settings.RISKCOMP_2FA_REQUIRED) and role_of(user) in TWO_FACTOR_ROLES


def mark_verified(request: HttpRequest) -> None:
    """The user has just proved it is them (password or TOTP token)."""
    request.session[VERIFIED_AT] = time.time()


def verified_within(request: HttpRequest, seconds: int) -> bool:
    at = request.session.get(VERIFIED_AT)
    return isinstance(at, int | float) and 0 <= time.time() - at <= seconds


def safe_next(request: HttpRequest, candidate: str | None, default: str = "home") -> str:
    """``candidate`` if it stays on this site, otherwise the URL named ``default``."""
    if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse(default)


def _return_to(request: HttpRequest) -> str:
    """Where to come back after confirming the password. A GET comes back to itself; a POST can't
    be replayed, so it comes back to the page that showed the form (the Referer, when it is ours)
    and the user submits again."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        parsed = urlparse(referer)
        return parsed.path + (f"?{parsed.query}" if parsed.query else "")
    return request.path


def reauth_required(max_age: int = 300) -> Callable[[Callable[..., HttpResponse]],
                                                    Callable[..., HttpResponse]]:
    """View decorator for money-moving and confirming actions: if the user last proved it is them
    more than ``max_age`` seconds ago, ask for the password first (accounts:reauth), then return.
    Put it under the role check, so a user without the role still gets 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if verified_within(request, max_age):
                return view(request, *args, **kwargs)
            return_to = _return_to(request)
            if request.method not in ("GET", "HEAD"):
                keep_pending_post(request, return_to)
                messages.info(request,
                              _("为保障资金安全，请先确认密码；确认后将继续提交您填写的内容。"))
            query = urlencode({"next": return_to})
            return redirect(f"{reverse('accounts:reauth')}?{query}")

        return wrapped

    return decorator


def _drop_files(files: list[list[str]]) -> None:
    for _field, stored, _name, _type in files:
        default_storage.delete(stored)


def keep_pending_post(request: HttpRequest, return_to: str) -> None:
    """Keep the form the user just posted (fields, and the attached files in storage) so that
    confirming the password submits it, instead of making the user fill it in again."""
    discard_pending_post(request)
    files: list[list[str]] = []
    for field, uploads in request.FILES.lists():
        for upload in uploads:
            stored = default_storage.save(f"{PENDING_DIR}/{uuid.uuid4().hex}", upload)
            files.append([field, stored, upload.name or field,
                          upload.content_type or "application/octet-stream"])
    data = {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}
    request.session[PENDING_POST] = {"path": request.path, "next": return_to,
                                     "at": time.time(), "data": data, "files": files}


def discard_pending_post(request: HttpRequest) -> None:
    pending = request.session.pop(PENDING_POST, None)
    if isinstance(pending, dict):
        _drop_files(pending.get("files", []))


def replay_pending_post(request: HttpRequest, next_url: str) -> HttpResponse | None:
    """Once the password is confirmed, submit the form kept by ``keep_pending_post`` as if the
    user had posted it now, when it was posted on the way to ``next_url`` and is still recent.
    The original post passed the CSRF check; the password form passed it again. None when there
    is nothing to submit."""
    pending = request.session.pop(PENDING_POST, None)
    if not isinstance(pending, dict):
        return None
    files = pending.get("files", [])
    try:
        if (pending.get("next") != next_url
                or not 0 <= time.time() - pending.get("at", 0) <= PENDING_POST_MAX_AGE):
            return None
        try:
            match = resolve(pending["path"])
        except Resolver404:
            return None
        post = QueryDict(mutable=True)
        for key, values in pending.get("data", {}).items():
            post.setlist(key, values)
        uploads: MultiValueDict[str, Any] = MultiValueDict()
        for field, stored, name, content_type in files:
            with default_storage.open(stored) as fh:
                uploads.appendlist(field, SimpleUploadedFile(name, fh.read(), content_type))
        post._mutable = False
        request.POST = cast("_ImmutableQueryDict", post)  # immutable since the line above
        # FILES is a read-only property over ``_files`` on WSGIRequest; the stubs know neither.
        request._files = uploads  # type: ignore[attr-defined]
        request.path = request.path_info = pending["path"]
        return match.func(request, *match.args, **match.kwargs)
    finally:
        _drop_files(files)
