"""Voting codes in a real browser: an official generates a batch and gets the printable sheet, a resident without
an account types a code and votes, the official reads the desk; axe-core on each page, French screenshots."""

import base64
import os
import re

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import func, select

from app.cycles.models import Cycle, District
from app.extensions import db
from app.voting.models import CodeBatch, Participation, VoteChannel
from tests.browser.conftest import SCREENSHOTS, assert_accessible, click_and_wait, fill, screenshot
from tests.browser.test_voting_browser import OFFICIAL, boxes, counts, demo_vote, sign_in, tick  # noqa: F401

pytestmark = pytest.mark.browser


def save_print(browser, name: str) -> None:
    """With SCREENSHOTS=1, what the printer gets (the print stylesheet), as a PDF to look at."""
    if os.environ.get("SCREENSHOTS") != "1":
        return
    pdf = browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})
    (SCREENSHOTS / f"{name}.pdf").write_bytes(base64.b64decode(pdf["data"]))

VOTING_CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")


def test_generate_print_then_vote_with_a_code_and_read_the_desk(browser, live, app, demo_vote):  # noqa: F811
    slug = demo_vote["slug"]
    sign_in(browser, live, *OFFICIAL)
    browser.get(f"{live}/vote/{slug}/codes")
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    assert_accessible(browser)
    screenshot(browser, "codes-batches-fr-narrow", width=380)
    with app.app_context():
        wazemmes = db.session.scalar(select(District).where(District.slug == "wazemmes"))
        district_id = str(wazemmes.id)
    fill(browser, {"district": district_id, "label": "Marché de Wazemmes", "count": "12"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    printed = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".code-card-code code")]
    assert len(printed) == 12 and all(VOTING_CODE.match(code) for code in printed)
    assert browser.find_element(By.CSS_SELECTOR, "[data-print]").is_displayed()  # codes.js showed the button
    assert "Wazemmes" in browser.find_element(By.CSS_SELECTOR, ".code-card").text
    assert_accessible(browser)
    screenshot(browser, "codes-sheet-fr")
    screenshot(browser, "codes-sheet-fr-narrow", width=380)
    save_print(browser, "codes-sheet-fr")
    # A reload sends the form again: the batch exists, no code is shown again.
    browser.refresh()
    assert not browser.find_elements(By.CSS_SELECTOR, ".code-card")
    assert not any(code in browser.page_source for code in printed)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CodeBatch)) == 1

    # A resident without an account.
    browser.delete_all_cookies()
    browser.get(f"{live}/budgets/{slug}")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "a[href$='/code']"))
    assert_accessible(browser)
    screenshot(browser, "codes-enter-fr-narrow", width=380)
    fill(browser, {"code": "ZZZZ-ZZZZ-ZZZ"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert_accessible(browser)
    screenshot(browser, "codes-enter-error-fr-narrow", width=380)
    fill(browser, {"code": printed[0].lower().replace("-", " ")})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    city_boxes = boxes(browser, "citywide")
    for box in city_boxes[:2]:
        tick(browser, box)
    tick(browser, boxes(browser, f"district_{district_id}")[0])
    assert browser.find_element(By.CSS_SELECTOR, "#citywide [data-count]").text == "2"  # the live counter works
    assert_accessible(browser)
    screenshot(browser, "codes-ballot-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    assert_accessible(browser)
    screenshot(browser, "codes-receipt-fr-narrow", width=380)
    assert counts(app) == (1, 2, 3)
    with app.app_context():
        assert db.session.scalar(select(Participation.channel).join(Cycle, Cycle.id == Participation.cycle_id)
                                 .where(Cycle.slug == slug)) == VoteChannel.CODE

    # The official's desk.
    sign_in(browser, live, *OFFICIAL)
    browser.get(f"{live}/vote/{slug}/desk")
    assert "Codes utilisés : 1 sur 12." in browser.find_element(By.ID, "desk-codes").find_element(By.XPATH, "..").text
    assert_accessible(browser)
    screenshot(browser, "codes-desk-fr")
    screenshot(browser, "codes-desk-fr-narrow", width=380)


def test_a_census_bound_code_asks_for_the_identifier(browser, live, app, demo_vote):  # noqa: F811
    from app.accounts.models import Role, User
    from app.cycles.models import Cycle
    from app.voting import codes
    from tests.voting.conftest import make_census_entry

    with app.test_request_context():
        cycle = db.session.get(Cycle, demo_vote["cycle_id"])
        wazemmes = db.session.get(District, demo_vote["wazemmes"])
        official = db.session.scalar(select(User).where(User.role == Role.OFFICIAL))
        make_census_entry("LIL-TEST-0099", wazemmes)
        _batch, [code] = codes.generate_batch(official, cycle, wazemmes, "Courriers nominatifs", 1, census_bound=True)
        db.session.commit()
    browser.get(f"{live}/code")
    fill(browser, {"code": code})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.find_element(By.NAME, "identifier").is_displayed()
    fill(browser, {"identifier": "LIL-TEST-0000"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert_accessible(browser)
    screenshot(browser, "codes-details-error-fr-narrow", width=380)
    fill(browser, {"identifier": "lil-test-0099"})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert boxes(browser, "citywide")
