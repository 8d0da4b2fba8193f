"""A resident's first visit, in a real browser: register, confirm, sign in, switch language, sign out."""

import re

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.core.models import OutboxMessage
from app.demo import load_demo
from app.extensions import db
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot

pytestmark = pytest.mark.browser


def latest_mail_to(app, address: str) -> str:
    with app.app_context():
        message = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == address).order_by(OutboxMessage.id.desc())
        ).first()
        assert message is not None, f"no mail to {address}"
        return message.body


@pytest.mark.parametrize("path", ["/", "/account/register", "/account/login", "/about", "/account/forgot"])
def test_public_pages_have_no_accessibility_violations(browser, live, app, path):
    with app.app_context():
        load_demo()
    browser.get(live + path)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"
    assert_accessible(browser)
    name = path.strip("/").replace("/", "-") or "home"
    screenshot(browser, f"{name}-fr")
    screenshot(browser, f"{name}-fr-narrow", width=380)


def test_register_confirm_login_switch_language_logout(browser, live, app):
    with app.app_context():
        load_demo()
    browser.get(live + "/")
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Créer un compte"))
    fill(browser, {"email": "nouvelle@example.org", "display_name": "Nadia", "password": "un mot de passe long",
                   "password_again": "un mot de passe long"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert "Vérifiez votre boîte de réception" in browser.find_element(By.TAG_NAME, "h1").text

    link = re.search(r"https?://\S+/account/confirm/\S+", latest_mail_to(app, "nouvelle@example.org")).group(0)
    browser.get(link)
    assert "confirmée" in browser.find_element(By.CLASS_NAME, "flashes").text

    fill(browser, {"email": "nouvelle@example.org", "password": "un mot de passe long"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert "Nadia" in browser.find_element(By.CLASS_NAME, "flashes").text
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Mon compte"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Mon compte"
    assert_accessible(browser)

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=en]"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == "My account"

    click_and_wait(browser, browser.find_element(By.XPATH, "//button[normalize-space()='Sign out']"))
    assert browser.find_element(By.LINK_TEXT, "Sign in")
    # The language chosen while signed in stays for the signed-out visitor.
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


def test_wrong_password_is_announced_and_keyboard_can_reach_the_form(browser, live, app):
    with app.app_context():
        load_demo()
    browser.get(live + "/account/login")
    fill(browser, {"email": "habitante@demo.budget-commun.fr", "password": "pas le bon"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    summary = browser.find_element(By.CLASS_NAME, "error-summary")
    assert "incorrect" in summary.text
    assert_accessible(browser)
    screenshot(browser, "login-error-fr-narrow", width=380)
