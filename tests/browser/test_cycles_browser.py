"""An official creates a budget cycle through the admin form; the cycle pages pass axe-core, wide and narrow."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.cycles.models import Cycle, District, PhaseKind
from app.cycles.services import phase_of
from app.demo import load_demo
from app.extensions import db
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot

pytestmark = pytest.mark.browser


def sign_in_as_official(browser, live):
    browser.get(live + "/account/login")
    fill(browser, {"email": "mairie@demo.budget-commun.fr", "password": "demo-mairie-2026"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def set_value(browser, name: str, value: str) -> None:
    """Date-time inputs: set the value as a browser's picker would (typing depends on the browser's locale)."""
    element = browser.find_element(By.NAME, name)
    browser.execute_script("arguments[0].value = arguments[1];", element, value)


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def districts(app, live):
    with app.app_context():
        load_demo()
        rows = db.session.scalars(select(District).where(District.slug.in_(["wazemmes", "fives"]))).all()
        return {d.slug: d.id for d in rows}


def test_official_creates_a_cycle_and_residents_see_it(browser, live, app, districts):
    sign_in_as_official(browser, live)
    browser.get(live + "/admin/budgets")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main a[href='/admin/budgets/new']"))
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    assert_accessible(browser)
    screenshot(browser, "cycle-form-fr")
    screenshot(browser, "cycle-form-fr-narrow", width=380)

    start = datetime.now(ZoneInfo("UTC")).replace(second=0, microsecond=0) - timedelta(days=2)
    fill(browser, {"slug": "budget-test-2027", "title_fr": "Budget test 2027",
                   "title_en": "Test budget 2027",
                   "description_fr": "Proposez vos **idées** pour la ville.\n\n- un banc\n- un arbre",
                   "total_budget": "1 500 000", "citywide_envelope": "500 000", "support_threshold": "10",
                   f"envelope_{districts['wazemmes']}": "250 000", f"envelope_{districts['fives']}": "abc"})
    for index, kind in enumerate(PhaseKind):
        set_value(browser, f"{kind.value}_starts", local(start + timedelta(days=30 * index)))
    # Leave the ends empty: each phase then ends when the next one starts.
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    summary = browser.find_element(By.CLASS_NAME, "error-summary")
    assert f"envelope_{districts['fives']}" in summary.find_element(By.TAG_NAME, "a").get_attribute("href")
    assert_accessible(browser)
    screenshot(browser, "cycle-form-errors-fr-narrow", width=380)
    with app.app_context():
        assert db.session.scalar(select(Cycle).where(Cycle.slug == "budget-test-2027")) is None

    fill(browser, {f"envelope_{districts['fives']}": "300 000,50"})
    browser.find_element(By.NAME, f"voting_{districts['fives']}").click()  # Fives: an envelope without a vote
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert "/admin/budgets" in browser.current_url
    assert browser.find_element(By.CLASS_NAME, "flash-success")
    with app.app_context():
        cycle = db.session.scalar(select(Cycle).where(Cycle.slug == "budget-test-2027"))
        assert cycle.total_budget_cents == 150_000_000
        assert {(e.district.slug, e.amount_cents, e.has_voting) for e in cycle.envelopes} == {
            ("wazemmes", 25_000_000, True), ("fives", 30_000_050, False)}
        assert phase_of(cycle) == PhaseKind.SUBMISSION
    assert_accessible(browser)
    screenshot(browser, "cycles-admin-fr")

    click_and_wait(browser, browser.find_element(
        By.XPATH, "//tr[th/a[contains(@href, '/budgets/budget-test-2027')]]//a[contains(@href, '/phase')]"))
    assert "budget-test-2027" not in browser.current_url  # admin pages use the id: the address may change
    assert_accessible(browser)
    screenshot(browser, "cycle-phase-fr")
    screenshot(browser, "cycle-phase-fr-narrow", width=380)

    browser.get(live + "/budgets/budget-test-2027")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Budget test 2027"
    assert browser.find_element(By.CSS_SELECTOR, ".timeline [aria-current=step]")
    assert browser.find_element(By.CSS_SELECTOR, ".cycle-description strong").text == "idées"
    assert_accessible(browser)
    screenshot(browser, "cycle-page-official-fr")


def test_public_cycle_pages_are_accessible(browser, live, app, districts):
    from tests.factories import make_cycle

    with app.app_context():
        wazemmes, fives = db.session.get(District, districts["wazemmes"]), db.session.get(District, districts["fives"])
        make_cycle(PhaseKind.VOTING, title="Budget test vote", districts=[wazemmes, fives])
        past = make_cycle(PhaseKind.CLOSED, title="Budget test passé", districts=[wazemmes])
        past.description_fr = "Le budget de l'an dernier : **42 projets** financés."
        db.session.commit()
        slug = past.slug
    for path, name in (("/budgets", "cycles-list"), (f"/budgets/{slug}", "cycle-page"), ("/", "home-with-cycles")):
        browser.get(live + path)
        assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
        assert_accessible(browser)
        screenshot(browser, f"{name}-fr")
        screenshot(browser, f"{name}-fr-narrow", width=380)
    browser.get(live + "/budgets")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Budget test vote"))
    assert browser.find_element(By.CSS_SELECTOR, ".timeline [aria-current=step]")
    assert_accessible(browser)
    screenshot(browser, "cycle-page-voting-fr")
    screenshot(browser, "cycle-page-voting-fr-narrow", width=380)


@pytest.mark.parametrize("path", ["/admin/districts", "/admin/districts/new", "/admin/categories",
                                  "/admin/categories/new"])
def test_district_and_theme_admin_pages_are_accessible(browser, live, app, districts, path):
    sign_in_as_official(browser, live)
    browser.get(live + path)
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    assert_accessible(browser)
    name = path.strip("/").replace("/", "-")
    screenshot(browser, f"{name}-fr")
    screenshot(browser, f"{name}-fr-narrow", width=380)
