"""The API's documentation page in headless Chromium under the portal's strict CSP: Swagger UI
loads from the local sidecar assets, renders the endpoints, and the browser reports no CSP
violation (the page has no inline script or style, so no exception to the policy is needed)."""

import os
from pathlib import Path

import pytest

SHOTS = os.environ.get("RISKCOMP_SCREENSHOTS", "")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]


def test_docs_page_renders_under_the_strict_csp(browser, live_server):
    page = browser.new_page(locale="zh-CN")
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    remote: list[str] = []
    page.on("request", lambda r: remote.append(r.url)
            if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector("text=/api/v1/filings/batch/", timeout=20_000)
    for path in ("/api/v1/claims/{id}/supplements/", "/api/v1/recoveries/",
                 "/api/v1/recoveries/{id}/returns/"):
        assert page.locator(f"text={path}").count() >= 1, path
    page.locator("text=提交补偿申报（随附五项材料）").first.click()
    page.wait_for_selector("text=multipart/form-data", timeout=10_000)
    if SHOTS:  # for a person to look at
        page.screenshot(path=str(Path(SHOTS) / "api_docs_claim_create.png"))
    assert "银行接口" in page.inner_text(".swagger-ui .info")
    assert not [m for m in console if "Content Security Policy" in m], console
    assert not [u for u in remote if not u.startswith("data:")], remote
    page.close()
