"""How the OpenAPI schema describes the API key and the operations (drf-spectacular)."""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "rck_<前缀>_<密钥>",
                "description": "托管机构发放的银行接口密钥。"}


class AutoSchema(openapi.AutoSchema):
    """The views' docstrings are written for the portal's developers, in English; the
    documentation page shows the banks only what ``extend_schema(description=…)`` says."""

    def get_description(self) -> str:  # type: ignore[override]
        return ""
