"""Voting in a real browser: with JavaScript (live counter) and without it, the receipt, changing the vote,
checking the receipt after the results; axe-core on every voting page, desktop and narrow screenshots."""

import re
import shutil
import tempfile
from datetime import timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.core import clock
from app.cycles.models import Cycle, District
from app.demo import load_demo
from app.extensions import db
from app.proposals.models import BallotItem
from app.voting.demo import DEMO_CYCLE, load_voting_demo
from app.voting.models import Ballot, BallotChoice, BallotKind, BallotRules, Participation
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

RESIDENT = ("habitante@demo.budget-commun.fr", "demo-habitante-2026")
OFFICIAL = ("mairie@demo.budget-commun.fr", "demo-mairie-2026")
CODE = re.compile(r"^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$")


@pytest.fixture
def demo_vote(app, live):
    """The demo city, its 2026 budget open for voting with Lille's rules (approval, up to 5 projects)."""
    with app.app_context():
        load_demo()
        load_voting_demo()
        db.session.commit()
        cycle = db.session.scalar(select(Cycle).where(Cycle.slug == DEMO_CYCLE))
        wazemmes = db.session.scalar(select(District).where(District.slug == "wazemmes"))
        items = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)).all()
        assert sum(1 for i in items if i.district_id is None) >= 6, "the demo needs 6 city-wide projects"
        assert any(i.district_id == wazemmes.id for i in items), "the demo needs a project in Wazemmes"
        return {"slug": cycle.slug, "cycle_id": cycle.id, "wazemmes": wazemmes.id}


def sign_in(browser, live, email: str, password: str) -> None:
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": password})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def envelope(browser, name: str):
    return browser.find_element(By.ID, name)


def boxes(browser, name: str):
    return envelope(browser, name).find_elements(By.CSS_SELECTOR, "input[type=checkbox]")


def tick(browser, box) -> None:
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    box.click()


def _of_demo_cycle():
    """Ballots of the budget open for voting (the demo also has a finished budget with thousands of ballots)."""
    return select(Ballot.id).join(Cycle, Cycle.id == Ballot.cycle_id).where(Cycle.slug == DEMO_CYCLE)


def counts(app) -> tuple[int, int, int]:
    """(participations, ballots, choices) in the demo budget open for voting."""
    with app.app_context():
        cycle_id = db.session.scalar(select(Cycle.id).where(Cycle.slug == DEMO_CYCLE))
        return (db.session.scalar(select(func.count()).select_from(Participation)
                                  .where(Participation.cycle_id == cycle_id)),
                db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.cycle_id == cycle_id)),
                db.session.scalar(select(func.count()).select_from(BallotChoice)
                                  .where(BallotChoice.ballot_id.in_(_of_demo_cycle()))))


def chosen_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(BallotChoice.ballot_item_id)
                                      .where(BallotChoice.ballot_id.in_(_of_demo_cycle()))))


def test_cast_with_javascript_then_change_with_the_receipt(browser, live, app, demo_vote):
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    sign_in(browser, live, *RESIDENT)
    browser.get(f"{live}/budgets/{slug}")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"a.button[href$='/vote/{slug}']"))
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1

    city = envelope(browser, "citywide")
    counter = city.find_element(By.CSS_SELECTOR, "[data-counter]")
    assert counter.is_displayed()  # voting.js showed it
    assert city.find_element(By.CSS_SELECTOR, "[data-count]").text == "0"
    first_cost = city.find_element(By.CSS_SELECTOR, "[data-total]").text
    city_boxes = boxes(browser, "citywide")
    for box in city_boxes[:2]:
        tick(browser, box)
    assert city.find_element(By.CSS_SELECTOR, "[data-count]").text == "2"
    assert city.find_element(By.CSS_SELECTOR, "[data-total]").text != first_cost
    assert_accessible(browser)
    screenshot(browser, "voting-ballot-js-fr")
    screenshot(browser, "voting-ballot-js-fr-narrow", width=380)

    # Six projects: the counter warns at once; the server refuses on review.
    for box in city_boxes[2:6]:
        tick(browser, box)
    warning = city.find_element(By.CSS_SELECTOR, "[data-too-many]")
    assert city.find_element(By.CSS_SELECTOR, "[data-count]").text == "6" and warning.is_displayed()
    assert "envelope-over" in city.get_attribute("class")
    screenshot(browser, "voting-ballot-too-many-fr-narrow", width=380)
    tick(browser, boxes(browser, district_field)[0])
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert envelope(browser, "citywide").get_attribute("aria-describedby").endswith("citywide-error")
    assert_accessible(browser)
    screenshot(browser, "voting-ballot-error-fr")
    assert counts(app) == (0, 0, 0)

    # Back to five, review, confirm.
    tick(browser, boxes(browser, "citywide")[5])
    assert not envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-too-many]").is_displayed()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".review-envelope")) == 2
    assert len(browser.find_elements(By.CSS_SELECTOR, ".chosen-list li")) == 6
    assert_accessible(browser)
    screenshot(browser, "voting-review-fr")
    screenshot(browser, "voting-review-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    code = browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    assert CODE.match(code)
    assert counts(app) == (1, 2, 6)
    assert_accessible(browser)
    screenshot(browser, "voting-receipt-fr")
    screenshot(browser, "voting-receipt-fr-narrow", width=380)

    # The ballot page now says the vote is recorded; the receipt is not shown again.
    browser.get(f"{live}/vote/{slug}")
    assert code not in browser.page_source
    assert not browser.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")
    assert_accessible(browser)
    screenshot(browser, "voting-voted-fr-narrow", width=380)

    # Change the vote with the receipt code.
    browser.get(f"{live}/vote/{slug}/change")
    assert_accessible(browser)
    screenshot(browser, "voting-change-fr-narrow", width=380)
    fill(browser, {"code": code.lower().replace("-", " ")})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    city_boxes = boxes(browser, "citywide")
    assert [box.is_selected() for box in city_boxes[:6]] == [True] * 5 + [False]
    assert envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-count]").text == "5"
    for box in city_boxes[1:5]:
        tick(browser, box)
    expected = {int(box.get_attribute("value")) for box in browser.find_elements(By.CSS_SELECTOR, "input:checked")}
    assert len(expected) == 2
    assert_accessible(browser)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert counts(app) == (1, 2, 2) and chosen_ids(app) == expected


@pytest.fixture
def nojs_driver():
    """A second Chromium with JavaScript switched off, for the flow every browser must be able to follow."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    profile = tempfile.mkdtemp(prefix="chromium-nojs-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic", "--window-size=1280,900", f"--user-data-dir={profile}",
                 "--lang=fr-FR"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "fr-FR,fr",
                                              "profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in_a_resident(browser, live, app, demo_vote) -> None:
    """A new resident of Wazemmes (with a confirmed account), signed in."""
    with app.app_context():
        make_user(email="sans-js@example.org", district_id=demo_vote["wazemmes"])
        db.session.commit()
    sign_in(browser, live, "sans-js@example.org", PASSWORD)


def test_cast_without_javascript(nojs_driver, live, app, demo_vote):
    browser = nojs_driver
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    sign_in_a_resident(browser, live, app, demo_vote)
    browser.get(f"{live}/vote/{slug}")
    counter = envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-counter]")
    assert not counter.is_displayed()  # without JavaScript the counter stays hidden: it could not update
    for box in boxes(browser, "citywide")[:6]:
        tick(browser, box)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()  # the server's checks
    screenshot(browser, "voting-ballot-nojs-error-fr-narrow", width=380)
    assert counts(app) == (0, 0, 0)
    city_boxes = boxes(browser, "citywide")
    assert sum(box.is_selected() for box in city_boxes) == 6  # the choices came back
    for box in city_boxes[3:6]:
        tick(browser, box)
    tick(browser, boxes(browser, district_field)[0])
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    # "Change my choices" brings the ballot back as it was, then review again and confirm.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=edit]"))
    assert sum(box.is_selected() for box in boxes(browser, "citywide")) == 3
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert CODE.match(browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text)
    assert counts(app) == (1, 2, 4)


def test_district_choice_rules_page_and_receipt_check(browser, live, app, demo_vote, monkeypatch):
    slug = demo_vote["slug"]
    with app.app_context():
        make_user(email="sans-quartier@example.org")
        db.session.commit()
    sign_in(browser, live, "sans-quartier@example.org", PASSWORD)
    browser.get(f"{live}/vote/{slug}")
    assert browser.current_url.endswith(f"/vote/{slug}/district")
    assert_accessible(browser)
    screenshot(browser, "voting-district-fr-narrow", width=380)
    fill(browser, {"district": str(demo_vote["wazemmes"])})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.current_url.endswith(f"/vote/{slug}")
    for box in boxes(browser, "citywide")[:1] + boxes(browser, f"district_{demo_vote['wazemmes']}")[:1]:
        tick(browser, box)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    code = browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "sans-quartier@example.org"))
        assert user.district_id == demo_vote["wazemmes"]

    # Officials: the rules page says the rules are frozen now that a ballot is cast.
    browser.delete_all_cookies()
    sign_in(browser, live, *OFFICIAL)
    browser.get(f"{live}/vote/{slug}/rules")
    assert browser.find_elements(By.CSS_SELECTOR, "p.notice") and not browser.find_elements(By.NAME, "max_choices")
    assert_accessible(browser)
    screenshot(browser, "voting-rules-frozen-fr")
    with app.app_context():
        assert db.session.scalar(select(User.role).where(User.email == OFFICIAL[0])) == Role.OFFICIAL

    # Before the results the receipt check page says when it opens; after, anyone can check.
    browser.delete_all_cookies()
    browser.get(f"{live}/vote/{slug}/receipt")
    assert not browser.find_elements(By.NAME, "code")
    assert_accessible(browser)
    results = clock.utcnow() + timedelta(days=20)
    monkeypatch.setattr(clock, "_now", lambda: results)
    browser.get(f"{live}/vote/{slug}/receipt")
    fill(browser, {"code": code})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".receipt-result .chosen-list li")) == 2
    assert_accessible(browser)
    screenshot(browser, "voting-receipt-check-fr")
    screenshot(browser, "voting-receipt-check-fr-narrow", width=380)


def test_rules_page_form_for_officials(browser, live, app, demo_vote, monkeypatch):
    review = clock.utcnow() - timedelta(days=20)  # the demo budget's review phase: its rules may still change
    monkeypatch.setattr(clock, "_now", lambda: review)
    sign_in(browser, live, *OFFICIAL)
    browser.get(f"{live}/vote/{demo_vote['slug']}/rules")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".kinds .kind-choice .hint")) == 4  # every kind explained
    fill(browser, {"min_choices": "4", "max_choices": "2"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.NAME, "max_choices").get_attribute("aria-invalid") == "true"
    assert_accessible(browser)
    screenshot(browser, "voting-rules-fr")
    screenshot(browser, "voting-rules-fr-narrow", width=380)
    browser.find_element(By.ID, "kind-cumulative").click()
    fill(browser, {"min_choices": "1", "max_choices": "", "points_total": "10"})
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.NAME, "points_per_project").get_attribute("aria-invalid") == "true"
    fill(browser, {"points_per_project": "3"})
    browser.find_element(By.NAME, "other_district").click()
    click_and_wait(browser, browser.find_element(By.NAME, "submit"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert_accessible(browser)
    with app.app_context():
        rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == demo_vote["cycle_id"]))
        assert (rules.kind, rules.points_total, rules.points_per_project, rules.other_district) == (
            BallotKind.CUMULATIVE, 10, 3, True)


# --- Points and grades -----------------------------------------------------------------------------------------------

def set_rules(app, demo_vote, **values) -> None:
    """The demo budget's rules, set before anyone votes (as officials would during the review phase)."""
    with app.app_context():
        rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == demo_vote["cycle_id"]))
        for name, value in {"min_choices": 1, "max_choices": None, **values}.items():
            setattr(rules, name, value)
        db.session.commit()


def add_photo(app, demo_vote) -> str:
    """A photo (a plain PNG with its alt text) on the first city-wide project of the ballot; returns the alt."""
    import io

    from PIL import Image

    from app.proposals.models import ProposalImage

    out = io.BytesIO()
    Image.new("RGB", (480, 320), (46, 125, 50)).save(out, "PNG")
    with app.app_context():
        item = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == demo_vote["cycle_id"],
                                                           BallotItem.district_id.is_(None))
                                  .order_by(BallotItem.title)).first()
        db.session.add(ProposalImage(proposal_id=item.proposal_id, position=0, token="photo-de-demo",
                                     content_type="image/png", width=480, height=320, data=out.getvalue(),
                                     alt="Pelouse verte du parc, vue depuis l’entrée"))
        db.session.commit()
    return "Pelouse verte du parc, vue depuis l’entrée"


def points_inputs(browser, name: str):
    return envelope(browser, name).find_elements(By.CSS_SELECTOR, "input[type=number]")


def type_points(browser, field, value: str) -> None:
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", field)
    field.clear()
    field.send_keys(value)


def stored_values(app) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(BallotChoice.value)
                                         .where(BallotChoice.ballot_id.in_(_of_demo_cycle()))))


def test_points_ballot_with_javascript_another_district_and_change(browser, live, app, demo_vote):
    set_rules(app, demo_vote, kind=BallotKind.CUMULATIVE, points_total=10, points_per_project=3,
              other_district=True)
    alt = add_photo(app, demo_vote)
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    sign_in(browser, live, *RESIDENT)
    browser.get(f"{live}/vote/{slug}")
    photo = browser.find_element(By.CSS_SELECTOR, "#citywide .item-photo")
    assert photo.get_attribute("alt") == alt
    # the photo loads lazily, after the page: wait for it rather than read its size at once
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return arguments[0].naturalWidth", photo) > 0)
    city = envelope(browser, "citywide")
    left = city.find_element(By.CSS_SELECTOR, "[data-points-left]")
    assert left.text == "10"
    inputs = points_inputs(browser, "citywide")
    type_points(browser, inputs[0], "3")
    type_points(browser, inputs[1], "2")
    assert left.text == "5" and city.find_element(By.CSS_SELECTOR, "[data-count]").text == "2"
    type_points(browser, inputs[2], "3")
    type_points(browser, inputs[3], "3")
    assert left.text == "-1" and city.find_element(By.CSS_SELECTOR, "[data-over-points]").is_displayed()
    type_points(browser, inputs[4], "4")
    assert city.find_element(By.CSS_SELECTOR, "[data-over-project]").is_displayed()
    assert_accessible(browser)
    screenshot(browser, "voting-points-over-fr-narrow", width=380)
    type_points(browser, inputs[4], "")
    type_points(browser, inputs[3], "1")
    assert left.text == "1" and not city.find_element(By.CSS_SELECTOR, "[data-over-points]").is_displayed()
    type_points(browser, points_inputs(browser, district_field)[0], "3")

    # Another district: the picker keeps the points typed so far (voting.js sends them along).
    other = browser.find_element(By.ID, "also")
    from selenium.webdriver.support.ui import Select

    options = [o.get_attribute("value") for o in other.find_elements(By.TAG_NAME, "option") if o.get_attribute("value")]
    Select(other).select_by_value(options[0])
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "[data-district-picker] button"))
    added = f"district_{options[0]}"
    assert points_inputs(browser, "citywide")[0].get_attribute("value") == "3"
    assert points_inputs(browser, added), "the other district's projects are on the ballot"
    type_points(browser, points_inputs(browser, added)[0], "2")
    assert_accessible(browser)
    screenshot(browser, "voting-points-fr")
    screenshot(browser, "voting-points-fr-narrow", width=380)

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".review-envelope")) == 3
    assert "9 points" in browser.find_element(By.CSS_SELECTOR, ".review-envelope .review-total").text
    assert_accessible(browser)
    screenshot(browser, "voting-points-review-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    code = browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    assert CODE.match(code) and counts(app) == (1, 3, 6)
    assert stored_values(app) == [1, 2, 2, 3, 3, 3]

    browser.get(f"{live}/vote/{slug}/change")
    fill(browser, {"code": code})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert [i.get_attribute("value") for i in points_inputs(browser, "citywide")[:4]] == ["3", "2", "3", "1"]
    assert envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-points-left]").text == "1"
    type_points(browser, points_inputs(browser, "citywide")[0], "1")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert counts(app) == (1, 3, 6) and stored_values(app) == [1, 1, 2, 2, 3, 3]


def grade(browser, item, value: int) -> None:
    radio = item.find_element(By.CSS_SELECTOR, f"input[type=radio][value='{value}']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", radio)
    radio.click()


def test_grades_ballot_with_javascript_then_change(browser, live, app, demo_vote):
    set_rules(app, demo_vote, kind=BallotKind.MAJORITY_JUDGMENT, min_choices=0)
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    sign_in(browser, live, *RESIDENT)
    browser.get(f"{live}/vote/{slug}")
    city = envelope(browser, "citywide")
    items = city.find_elements(By.CSS_SELECTOR, "[data-graded-item]")
    graded = city.find_element(By.CSS_SELECTOR, "[data-graded]")
    assert graded.text == "0"
    for index, item in enumerate(items[1:]):
        grade(browser, item, index % 4)
    assert graded.text == str(len(items) - 1)
    for item in envelope(browser, district_field).find_elements(By.CSS_SELECTOR, "[data-graded-item]"):
        grade(browser, item, 2)
    assert_accessible(browser)
    screenshot(browser, "voting-grades-fr")
    screenshot(browser, "voting-grades-fr-narrow", width=380)
    title = items[0].find_element(By.CSS_SELECTOR, "legend .item-title").text
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary")
    assert f"« {title} »" in summary.text or f"“{title}”" in summary.text  # the project without a grade is named
    assert_accessible(browser)
    screenshot(browser, "voting-grades-error-fr-narrow", width=380)
    assert counts(app) == (0, 0, 0)
    ungraded = envelope(browser, "citywide").find_elements(By.CSS_SELECTOR, "[data-graded-item]")[0]
    assert "grade-missing" in ungraded.get_attribute("class")  # the project is marked where it stands
    grade(browser, ungraded, 3)
    assert "grade-missing" not in ungraded.get_attribute("class")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert_accessible(browser)
    screenshot(browser, "voting-grades-review-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    code = browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text
    total = len(items) + len(envelope_items(app, demo_vote))
    assert counts(app) == (1, 2, total)
    excellent = stored_values(app).count(3)

    browser.get(f"{live}/vote/{slug}/change")
    fill(browser, {"code": code})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "input[type=radio]:checked")) == total
    assert envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-graded]").text == str(len(items))
    grade(browser, envelope(browser, "citywide").find_elements(By.CSS_SELECTOR, "[data-graded-item]")[0], 0)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert browser.find_element(By.CLASS_NAME, "flash-success").is_displayed()
    assert counts(app) == (1, 2, total) and stored_values(app).count(3) == excellent - 1


def envelope_items(app, demo_vote) -> list:
    with app.app_context():
        return db.session.scalars(select(BallotItem.id).where(BallotItem.cycle_id == demo_vote["cycle_id"],
                                                              BallotItem.district_id == demo_vote["wazemmes"])).all()


def test_points_without_javascript(nojs_driver, live, app, demo_vote):
    browser = nojs_driver
    set_rules(app, demo_vote, kind=BallotKind.CUMULATIVE, points_total=10, points_per_project=3)
    slug, district_field = demo_vote["slug"], f"district_{demo_vote['wazemmes']}"
    sign_in_a_resident(browser, live, app, demo_vote)
    browser.get(f"{live}/vote/{slug}")
    assert not envelope(browser, "citywide").find_element(By.CSS_SELECTOR, "[data-counter]").is_displayed()
    for field in points_inputs(browser, "citywide")[:4]:
        type_points(browser, field, "3")
    type_points(browser, points_inputs(browser, district_field)[0], "2")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary").text
    assert "12" in summary and "10" in summary  # "vous avez donné 12 points ; vous en avez 10"
    screenshot(browser, "voting-points-nojs-error-fr-narrow", width=380)
    assert counts(app) == (0, 0, 0)
    type_points(browser, points_inputs(browser, "citywide")[3], "0")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert CODE.match(browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text)
    assert counts(app) == (1, 2, 4) and stored_values(app) == [2, 3, 3, 3]


def test_grades_without_javascript(nojs_driver, live, app, demo_vote):
    browser = nojs_driver
    set_rules(app, demo_vote, kind=BallotKind.MAJORITY_JUDGMENT, min_choices=0)
    slug = demo_vote["slug"]
    sign_in_a_resident(browser, live, app, demo_vote)
    browser.get(f"{live}/vote/{slug}")
    items = browser.find_elements(By.CSS_SELECTOR, "[data-graded-item]")
    for item in items[:-1]:
        grade(browser, item, 1)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    assert browser.find_element(By.CSS_SELECTOR, ".error-summary").is_displayed()
    assert counts(app) == (0, 0, 0)
    items = browser.find_elements(By.CSS_SELECTOR, "[data-graded-item]")
    assert len(browser.find_elements(By.CSS_SELECTOR, "input[type=radio]:checked")) == len(items) - 1
    grade(browser, items[-1], 3)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.ballot button[type=submit]"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "button[value=confirm]"))
    assert CODE.match(browser.find_element(By.CSS_SELECTOR, ".receipt-code code").text)
    assert counts(app) == (1, 2, len(items)) and stored_values(app).count(3) == 1
