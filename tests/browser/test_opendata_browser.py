"""The data catalogue and the API documentation, as a resident or a developer reads them: accessible, in French."""

import pytest
from selenium.webdriver.common.by import By

from app.extensions import db
from tests.api.conftest import make_published_city
from tests.browser.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def published_city(app, live):
    with app.test_request_context("/"):
        city = make_published_city()
        db.session.commit()
        return city.slug


def test_catalogue_and_api_documentation_are_accessible(browser, live, published_city):
    browser.get(live + "/data/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Données ouvertes"
    assert "Licence Ouverte" in browser.find_element(By.ID, "licence-heading").find_element(By.XPATH, "..").text
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, ".dataset a")]
    assert any(href.endswith(f"/data/{published_city}/proposals.csv") for href in links)
    assert any(href.endswith(f"/data/{published_city}/ballots-city.pb") for href in links)
    assert_accessible(browser)
    screenshot(browser, "opendata-catalogue")
    screenshot(browser, "opendata-catalogue-narrow", width=380)

    browser.find_element(By.LINK_TEXT, "Documentation de l'API publique").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "API publique"
    assert "GET /api/v1/proposals" in browser.page_source
    assert_accessible(browser)
    screenshot(browser, "opendata-api-docs")
    screenshot(browser, "opendata-api-docs-narrow", width=380)
