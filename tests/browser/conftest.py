"""Selenium against Debian's Chromium, on a live server in a thread, with axe-core from node_modules."""

import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from sqlalchemy import delete
from werkzeug.serving import make_server

from app.extensions import db as _db
from app.extensions import limiter

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"

pytestmark = pytest.mark.browser


def _wipe(app) -> None:
    with app.app_context():
        for table in reversed(_db.metadata.sorted_tables):
            _db.session.execute(delete(table))
        _db.session.commit()


@pytest.fixture(scope="session")
def live_server(app):
    _wipe(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def live(app, live_server):
    """The live server's URL, with an empty database and fresh rate limits for each test."""
    limiter.reset()
    yield live_server
    _wipe(app)


@pytest.fixture(scope="session")
def driver():
    if not (shutil.which("chromium") or os.path.exists("/usr/bin/chromium")):
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--window-size=1280,900", f"--user-data-dir={profile}",
                 "--lang=fr-FR"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr"})
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(driver, live):
    """A browser with no cookies left from the previous test."""
    driver.get(live + "/healthz")
    driver.delete_all_cookies()
    driver.set_window_size(1280, 900)
    driver.execute_script("return document.body.offsetHeight")  # let the resize settle before the test starts
    return driver


def axe_violations(driver) -> list[dict]:
    """Run axe-core on the current page and return its violations (WCAG 2.1 A/AA and best practices)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations))"
        ".catch(e => done([{id: 'axe-error', description: String(e), nodes: []}]));"
    )
    return [{"id": v["id"], "help": v.get("help", v.get("description")),
             "nodes": [n.get("target") for n in v["nodes"]][:5]} for v in result]


def assert_accessible(driver) -> None:
    violations = axe_violations(driver)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


def screenshot(driver, name: str, width: int | None = None) -> Path | None:
    """Save a full-page screenshot (optionally at a narrow width) to look at, when SCREENSHOTS=1.

    Off by default (CI): taking one resizes the window, and Chromium then now and again loses track of DOM nodes.
    """
    if os.environ.get("SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(exist_ok=True)
    if width:
        driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width or 1280, min(max(height, 600), 4000))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    driver.execute_script("return document.body.offsetHeight")  # let the layout settle before the next step
    return path


def fill(driver, values: dict[str, str]) -> None:
    for name, value in values.items():
        element = driver.find_element(By.NAME, name)
        if element.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)


def _gone(element) -> bool:
    """True once ``element``'s page has been replaced. Chromium reports that either as a stale element or as
    "Node with given id does not belong to the document": both mean the same."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in str(error):
            return True
        raise
    return False


def click_and_wait(driver, element) -> None:
    """Click something that loads a new page, and wait until the new page has replaced the old one."""
    import time

    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    for attempt in range(4):
        try:
            if attempt == 0:
                element.click()
            else:
                driver.execute_script("arguments[0].click()", element)
            break
        except WebDriverException:
            # Chromium sometimes reports a lost node (after a window resize, under load), sometimes although the
            # click went through: click again, from JS, only while the page has not started to change, so that a
            # form is never sent twice.
            if _gone(old):
                break
            if attempt == 3:
                raise
            time.sleep(0.3)
    WebDriverWait(driver, 15).until(lambda _driver: _gone(old))
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
