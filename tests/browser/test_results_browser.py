"""The public results of the demo's 2025 budget in a real browser: axe-core, a narrow screen, the map enhancement,
and the officials' count page."""

import pytest
from selenium.webdriver.common.by import By

from app.demo import load_demo
from app.extensions import db
from app.results.demo import DEMO_CYCLE
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.browser.test_tracking_browser import fits_a_narrow_screen

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(app, live):
    with app.app_context():
        load_demo()
        db.session.commit()
    return DEMO_CYCLE


def test_public_results_pages_are_accessible_and_readable_on_a_phone(browser, live, demo):
    browser.get(f"{live}/budgets/{demo}")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/budgets/{demo}/results']"))
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "results-overview-fr")
    screenshot(browser, "results-overview-fr-narrow", width=380)

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"a[href='/budgets/{demo}/results/lille-moulins']"))
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "Des jardinières partagées rue de Douai" in text and "Un mur d'expression libre à Moulins" in text
    assert browser.find_elements(By.CSS_SELECTOR, "svg[role=img] rect")
    # Leaflet drew the map from our own origin, with one marker per located funded project
    assert browser.find_elements(By.CSS_SELECTOR, "#proposal-map .leaflet-marker-icon")
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "results-envelope-fr")
    screenshot(browser, "results-envelope-fr-narrow", width=380)


def test_the_officials_count_page_is_accessible(browser, live, demo):
    browser.get(live + "/account/login")
    fill(browser, {"email": "mairie@demo.budget-commun.fr", "password": "demo-mairie-2026"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    browser.get(f"{live}/budgets/{demo}/tally")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main tbody tr")) == 1
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "results-tally-fr-narrow", width=380)


def test_an_official_computes_the_explanations_a_count_left(browser, live, demo, app):
    from app.cycles.services import get_cycle_by_slug
    from app.results import services

    with app.app_context():
        run = services.run_tally(None, get_cycle_by_slug(demo), explain_seconds=0)
        db.session.commit()
        run_id, pending = run.id, services.pending_explanations(run)
    assert pending > 0
    browser.get(live + "/account/login")
    fill(browser, {"email": "mairie@demo.budget-commun.fr", "password": "demo-mairie-2026"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    browser.get(f"{live}/results/runs/{run_id}")
    section = browser.find_element(By.ID, "pending-heading")
    assert section.text == "Explications restant à calculer"
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "results-pending-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/explain'] button"))
    main = browser.find_element(By.TAG_NAME, "main").text
    assert "Toutes les explications de ce dépouillement sont calculées." in main
    assert not browser.find_elements(By.ID, "pending-heading")
