"""Every answer carries the security headers, and no page breaks its own policy
(issue 8, Access): a Content-Security-Policy that allows only this origin and
no inline script or style, no framing, no content-type sniffing; the session
cookie is not for scripts, and secure with HSTS where the service is behind TLS.
"""

import pytest
from conftest import _settings

from assettrack.app import create_app
from tests.browser import PASSWORD

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def test_every_kind_of_answer_carries_the_security_headers(world, web):
    tag = world.ready_device()["asset_tag"]
    coordinator, nobody = web.visitor("coordinator"), web.visitor()
    answers = {
        "login page": nobody.get("/login"),
        "a page": coordinator.get(f"/devices/{tag}"),
        "the dashboard": coordinator.get("/stock"),
        "a page refused": web.visitor("desk").get("/stock"),
        "a page not found": coordinator.get("/nowhere"),
        "a label image": coordinator.get(f"/devices/{tag}/label.png"),
        "the scan script": nobody.get("/static/scan.js"),
        "an API answer": world.coordinator.get(f"/devices/{tag}"),
        "an API error": world.client.get("/api/v1/devices"),
        "the API's description": world.client.get("/api/v1/openapi.json"),
    }
    for name, answer in answers.items():
        for header, value in HEADERS.items():
            assert answer.headers.get(header) == value, (name, header)
    assert answers["a page refused"].status_code == 403
    assert answers["an API error"].status_code == 401


def test_plain_http_on_loopback_is_left_alone_and_the_cookie_is_not_for_scripts(
    world, web
):
    answer = web.visitor().post(
        "/login", {"email": "desk@example.be", "password": PASSWORD}
    )
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in answer.headers


def test_behind_tls_http_is_sent_to_https_with_hsts_and_a_secure_cookie(
    database_url,
):
    app = create_app(_settings(database_url, SESSION_COOKIE_SECURE=True))
    client = app.test_client()
    plain = client.get("http://assettrack.example/login")
    assert plain.status_code in (301, 302)
    assert plain.headers["Location"].startswith("https://assettrack.example/login")
    secure = client.get("https://assettrack.example/login")
    assert secure.status_code == 200
    assert "max-age=" in secure.headers["Strict-Transport-Security"]
    assert "Secure" in secure.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        ("desk", ["/desk", "/desk/calls", "/stock-takes"]),
        ("coordinator", ["/stock", "/figures", "/stock/devices", "/donations"]),
        ("repair", ["/", "/repair-queue"]),
    ],
)
def test_no_page_breaks_its_own_policy_in_a_real_browser(
    world, web, browser, role, paths
):
    """Chromium reports a blocked script, style or image in its console."""
    tag = world.ready_device()["asset_tag"]
    world.lent_device()
    browser.open("/login")
    browser.type("E-mailadres", f"{role}@example.be")
    browser.type("Wachtwoord", PASSWORD)
    browser.press("Aanmelden")
    for path in [*paths, f"/devices/{tag}"]:
        browser.open(path)
        assert browser.heading(), path
        blocked = [m for m in browser.console() if "Content Security Policy" in m]
        assert blocked == [], (path, blocked)
    if role == "desk":  # the scan script runs: it beeps and keeps the focus
        browser.open("/desk")
        field = browser.field("Scan een leenkaart of een label")
        field.send_keys("B-0042\n")
        assert browser.messages() == ["Ontlener B-0042. Scan nu de toestellen."]
        assert browser.console() == []
        assert browser.driver.switch_to.active_element.get_attribute("id") == "code"
