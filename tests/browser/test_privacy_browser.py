"""A resident's personal data in a real browser: privacy choices, a single-use download, deleting the account."""

import json

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import User
from app.extensions import db
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import PASSWORD, make_proposal, make_user

pytestmark = pytest.mark.browser


def sign_in(browser, live, email: str) -> None:
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": PASSWORD})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def fetch(browser, url: str) -> tuple[int, str]:
    """GET ``url`` from the page, with the browser's cookies, without triggering a file download."""
    return tuple(browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text().then(t => done([r.status, t])));",
        url))


def test_privacy_choices_download_and_deletion(browser, live, app):
    with app.app_context():
        user = make_user(email="camille@example.org", display_name="Camille Dupont")
        proposal = make_proposal(author=user, title="Des bancs place du Concert")
        db.session.commit()
        proposal_id = proposal.id
    sign_in(browser, live, "camille@example.org")

    browser.get(live + "/account/privacy")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Mes choix de confidentialité"
    assert not [r for r in browser.find_elements(By.CSS_SELECTOR, "input[type=radio]") if r.is_selected()]
    assert_accessible(browser)
    screenshot(browser, "privacy-settings-fr")
    screenshot(browser, "privacy-settings-fr-narrow", width=380)

    browser.find_element(By.ID, "show_name-answer-1").click()
    fill(browser, {"show_name-pseudonym": "Lilas du quartier"})
    click_and_wait(browser, browser.find_element(By.ID, "show_name-submit"))
    assert "enregistré" in browser.find_element(By.CLASS_NAME, "flashes").text
    browser.find_element(By.ID, "news-answer-0").click()
    click_and_wait(browser, browser.find_element(By.ID, "news-submit"))
    history = browser.find_element(By.CSS_SELECTOR, "#history-title + .table-scroll table").text
    assert "Lilas du quartier" in history and "Oui" in history
    assert_accessible(browser)
    screenshot(browser, "privacy-settings-chosen-fr-narrow", width=380)

    browser.get(live + f"/proposals/{proposal_id}")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Lilas du quartier" in page and "Camille" not in page

    browser.get(live + "/account/privacy/data")
    assert_accessible(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    link = browser.find_element(By.CSS_SELECTOR, "main a[download]").get_attribute("href")
    assert_accessible(browser)
    screenshot(browser, "privacy-data-fr-narrow", width=380)
    status, body = fetch(browser, link)
    assert status == 200 and json.loads(body)["account"]["email"] == "camille@example.org"
    assert fetch(browser, link)[0] == 400  # once only

    browser.get(live + "/account/delete")
    assert_accessible(browser)
    screenshot(browser, "privacy-delete-fr-narrow", width=380)
    fill(browser, {"password": PASSWORD})
    browser.find_element(By.ID, "confirm").click()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert "supprimé" in browser.find_element(By.CLASS_NAME, "flashes").text
    assert browser.find_elements(By.LINK_TEXT, "Se connecter")
    with app.app_context():
        row = db.session.scalar(select(User).where(User.deleted_at.is_not(None)))
        assert row is not None and row.display_name == ""
    browser.get(live + f"/proposals/{proposal_id}")
    assert "Lilas" not in browser.find_element(By.TAG_NAME, "main").text


def test_the_public_privacy_page_is_accessible(browser, live):
    browser.get(live + "/privacy")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Données personnelles"
    assert_accessible(browser)
    screenshot(browser, "privacy-policy-fr")
    screenshot(browser, "privacy-policy-fr-narrow", width=380)
