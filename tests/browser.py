"""People using the web pages: through Flask's test client, or in a real browser.

A pytest plugin (registered in conftest.py). Fixtures:

- `web`: the `world`'s people with page passwords; `web.visitor("repair")` is a
  test client logged in as the repair partner, posting forms with their token.
- `live_server`: the real app on 127.0.0.1:<free port> in a thread, on the
  test's database (SQLite file, or PostgreSQL with TEST_DATABASE_URL); its URL.
- `browser`: Debian's headless Chromium driven by its chromedriver (Selenium),
  speaking Dutch like a Flemish workshop PC, opened on `live_server`. Skipped,
  saying why, when chromium or chromedriver is not installed.
"""

import re
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from assettrack.extensions import db
from assettrack.models import User
from tests.conftest import unavailable

PASSWORD = "werkbank-2026"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Chromium calls home at start-up (updates, sync, QUIC probes); on a closed
# network those calls are refused and can stall it, so it is told not to.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=nl-BE",
    "--window-size=1280,1000",
)

_CSRF = re.compile(r'csrf_token"[^>]*value="([^"]+)"')


# The test people's password hash, made once with few rounds (production hashes
# with werkzeug's scrypt default, 0.1 s a time); logging in checks it as usual.
_TEST_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def set_password(app, email: str, password: str = PASSWORD) -> None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if password == PASSWORD:
            user.password_hash = _TEST_HASH
        else:
            user.set_password(password)
        db.session.commit()


class Visitor:
    """One person's browser session against the test client: cookies and CSRF token."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return self.post("/login", {"email": email, "password": password})

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def token(self) -> str:
        """The CSRF token our pages put in their forms (login form, logout button)."""
        page = self.client.get("/", follow_redirects=True).get_data(as_text=True)
        return _CSRF.search(page).group(1)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kwargs):
        """Post a form as our page would, with its CSRF token unless `csrf` is off."""
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(path, data=data, **kwargs)


class Web:
    """The `world`'s people, each with the page password `PASSWORD`."""

    def __init__(self, world):
        self.world, self.app = world, world.app
        for role in ("admin", "coordinator", "repair", "desk"):
            set_password(self.app, f"{role}@example.be")

    def visitor(self, role: str | None = None) -> Visitor:
        """A fresh browser session, logged in as `role` when given."""
        visitor = Visitor(self.app.test_client())
        if role:
            response = visitor.login(f"{role}@example.be")
            assert response.status_code == 302, response.get_data(as_text=True)
        return visitor


@pytest.fixture
def web(world) -> Web:
    return Web(world)


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class Browser:
    """Headless Chromium used the way a person would: by labels and button texts."""

    def __init__(self, driver, base_url: str):
        self.driver, self.base_url = driver, base_url

    def open(self, path: str = "/") -> None:
        self.driver.get(self.base_url + path)

    @property
    def path(self) -> str:
        return self.driver.current_url.removeprefix(self.base_url)

    def _by_xpath(self, xpath: str):
        return self.driver.find_element(By.XPATH, xpath)

    def field(self, label: str, within: str | None = None):
        """The input whose label reads `label` (inside the fieldset `within`)."""
        scope = (
            f"//fieldset[legend[normalize-space()={_quote(within)}]]" if within else ""
        )
        label_element = self._by_xpath(
            f"{scope}//label[normalize-space()={_quote(label)}]"
        )
        return self.driver.find_element(By.ID, label_element.get_attribute("for"))

    def type(self, label: str, text: str, within: str | None = None) -> None:
        """Click into the field, clear it and type `text`, key by key."""
        element = self.field(label, within)
        element.click()
        element.clear()
        element.send_keys(text)

    def choose(self, label: str, option: str, within: str | None = None) -> None:
        Select(self.field(label, within)).select_by_visible_text(option)

    def press(self, button: str) -> None:
        """Click the button reading `button`, and wait until the next page is in."""
        element = self._by_xpath(f"//button[normalize-space()={_quote(button)}]")
        self._to_next_page(element.click)

    def follow(self, link: str) -> None:
        """Click the link reading `link`, and wait until its page is in."""
        self._to_next_page(self.driver.find_element(By.LINK_TEXT, link).click)

    def _to_next_page(self, click) -> None:
        # Mark this page, so that no check reads it after the click: the next
        # page is in once the mark is gone and it has loaded.
        self.driver.execute_script("window.oldPage = true")
        click()
        WebDriverWait(self.driver, 10, ignored_exceptions=[WebDriverException]).until(
            lambda driver: driver.execute_script(
                "return !window.oldPage && document.readyState === 'complete'"
            )
        )

    def text(self) -> str:
        """What the page shows a reader."""
        return self._by_xpath("//body").text

    def heading(self) -> str:
        return self._by_xpath("//h1").text

    def messages(self) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, ".flash")]

    def buttons(self, within: str) -> list[str]:
        """The buttons in the section headed `within`."""
        section = self._by_xpath(f"//section[h2[normalize-space()={_quote(within)}]]")
        return [b.text for b in section.find_elements(By.TAG_NAME, "button")]

    def console(self) -> list[str]:
        """What the page wrote to the browser console since the last call
        (a blocked script or style is reported there)."""
        return [entry["message"] for entry in self.driver.get_log("browser")]

    def screenshot(self, path) -> None:
        self.driver.save_screenshot(str(path))


def _quote(text: str) -> str:
    """`text` as an XPath string literal."""
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ", '\"', ".join(f'"{part}"' for part in text.split('"')) + ")"


@pytest.fixture
def browser(live_server, tmp_path):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        unavailable(
            f"{' and '.join(missing)} not installed: the page tests need Debian's "
            "chromium and chromium-driver (apt-get install chromium chromium-driver;"
            " make install does it when run as root)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_experimental_option("prefs", {"intl.accept_languages": "nl-BE,nl"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver path given: Selenium Manager is never asked to download one.
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(2)
    try:
        yield Browser(driver, live_server)
    finally:
        driver.quit()
