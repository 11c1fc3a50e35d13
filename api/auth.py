"""Who calls: a bank's API key (``Authorization: Bearer <key>``), its scope, and its rate."""

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from .models import ApiKey

KEY_PREFIX = "rck_"  # riskcomp key: a key found in a log or a repository says whose it is
PREFIX_CHARS = 10
# ``last_used_at`` is written at most this often per key (not one UPDATE per call).
LAST_USED_PRECISION = timedelta(minutes=1)


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


class PerKeyThrottle(throttling.SimpleRateThrottle):
    """``RISKCOMP_API_RATE`` requests per key (``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``)."""

    scope = "api_key"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        key = request.auth
        if not isinstance(key, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": key.pk}
