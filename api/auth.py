"""Who calls: a bank's API key (``Authorization: Bearer <key>``), its scope, and its rate."""

import hashlib
import hmac
import logging
from datetime import timedelta
from typing import Any

from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from .models import ApiKey

KEY_PREFIX = "rck_"  # riskcomp key: a key found in a log or a repository says whose it is
PREFIX_CHARS = 10
# ``last_used_at`` is written at most this often per key (not one UPDATE per call).
LAST_USED_PRECISION = timedelta(minutes=1)

logger = logging.getLogger(__name__)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(text: str) -> tuple[str, str] | None:
    """``rck_<prefix>_<secret>`` → (prefix, whole key), or None when it is not shaped so."""
    if not text.startswith(KEY_PREFIX) or len(text) > 200 or not text.isascii():
        return None
    prefix, sep, secret = text[len(KEY_PREFIX):].partition("_")
    if not sep or len(prefix) != PREFIX_CHARS or not secret:
        return None
    return prefix, text


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``request.user`` is the key's own user, ``request.auth`` the ``ApiKey``."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, token = header.strip().partition(" ")
        parts = split_key(token.strip()) if scheme.lower() == "bearer" else None
        if parts is None:
            raise exceptions.AuthenticationFailed(_(
                "接口密钥格式不正确：请求头应为 Authorization: Bearer rck_…"))
        prefix, key_text = parts
        key = ApiKey.objects.select_related("bank", "user").filter(prefix=prefix).first()
        if key is None or not hmac.compare_digest(key.secret_sha256, secret_digest(key_text)):
            raise exceptions.AuthenticationFailed(_("接口密钥无效。"))
        now = timezone.now()
        if key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("该接口密钥已被吊销。"))
        if key.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("该接口密钥已过期，请联系托管机构换发。"))
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key.user, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class KeyScope(permissions.BasePermission):
    """A key is needed; reading needs either scope, writing the read-write one."""

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated
        if request.method in permissions.SAFE_METHODS or key.can_write:
            return True
        self.message = _("该接口密钥为只读，不能提交写操作。")
        return False


# The cache the rate limit counts in (settings.CACHES): Redis when REDIS_URL is set, so that
# every gunicorn worker counts against one limit per key.
API_CACHE = "api"
# What a cache that cannot be reached raises (Redis down, a timeout).
CACHE_ERRORS: tuple[type[Exception], ...] = (OSError, RedisError)


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """``RISKCOMP_API_RATE`` requests per key (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``),
    counted in the ``api`` cache shared by every worker process.

    DRF's own throttle keeps a list of timestamps per key and writes it back after reading it:
    two workers reading at once each add their call to the same old list and one call is lost.
    Here each key has one counter per fixed window (a minute for "600/min"), raised by the
    cache's atomic increment (Redis INCR), so concurrent calls from any worker are all counted.
    A fixed window lets a client spend its quota at the end of one window and again at the start
    of the next; at the rates configured that burst is harmless, and it keeps ``Retry-After``
    simply the time to the next window. A cache that cannot be reached lets the call through
    (logged): the limit protects the service, and refusing every bank while Redis restarts
    would take the service down instead."""

    scope = "api_key"
    # Set by SimpleRateThrottle.__init__ from the rate, None when there is none; not in the stubs.
    num_requests: int | None
    duration: int | None

    def __init__(self) -> None:
        super().__init__()
        self.cache = caches[API_CACHE]

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        # The prefix, not the id: ids are reused when a test database is rolled back.
        return self.cache_format % {"scope": self.scope, "ident": key.prefix}

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None or self.num_requests is None or self.duration is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        window, elapsed = divmod(self.timer(), self.duration)
        try:
            count = self._count(f"{ident}:{int(window)}", self.duration)
        except CACHE_ERRORS as exc:
            logger.warning("API rate limit not counted, cache unreachable: %s", exc)
            return True
        if count <= self.num_requests:
            return True
        self._wait = self.duration - elapsed
        return False

    def _count(self, name: str, duration: int) -> int:
        """This call counted in the window's counter: its new value."""
        timeout = duration + 5  # the counter outlives its window, never by much
        self.cache.add(name, 0, timeout=timeout)
        try:
            return int(self.cache.incr(name))
        except ValueError:  # expired between the two calls
            self.cache.set(name, 1, timeout=timeout)
            return 1

    def wait(self) -> float | None:
        return getattr(self, "_wait", None)
