"""What the enrolment page shows: the secret in base32 (for typing into an authenticator) and the
otpauth:// link as a QR code, drawn here as an SVG data URI (no CDN, no inline markup)."""

import base64
from typing import Any

import qrcode
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from qrcode.image.svg import SvgPathImage


def new_key() -> str:
    """A fresh 20-byte TOTP secret, hex-encoded as TOTPDevice stores it."""
    return random_hex(20)


def secret_for_display(key: str) -> str:
    """The base32 form authenticator apps accept, in groups of four for reading aloud."""
    b32 = base64.b32encode(bytes.fromhex(key)).decode("ascii").rstrip("=")
    return " ".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def config_url(user: Any, key: str) -> str:
    """The otpauth:// link (issuer from OTP_TOTP_ISSUER), built by django-otp itself."""
    return TOTPDevice(user=user, key=key).config_url


def qr_data_uri(text: str) -> str:
    svg = qrcode.make(text, image_factory=SvgPathImage, box_size=8, border=2).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
