"""A pupil does the counting lesson (with and without JavaScript's help) and a quiz; lesson pages pass axe-core."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.accounts.models import Role
from app.extensions import db
from app.lessons import services
from app.lessons.content import LESSONS, get
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.browser.test_tracking_browser import fits_a_narrow_screen, sign_in
from tests.factories import make_user
from tests.schools.conftest import make_class

pytestmark = pytest.mark.browser


@pytest.fixture
def pupil(app, live, browser):
    """A pupil of a real class signs in with their card (class code and card code) on the schools' page; the
    lessons then read them as ``g.pupil``. Returns the card's learner key."""
    with app.app_context():
        klass, _teacher, cards = make_class(cards=1)
        db.session.commit()
        class_code, card_code, key = klass.code, cards[0].code, cards[0].pupil.learner_key
    browser.get(f"{live}/school/pupil/sign-in")
    fill(browser, {"class_code": class_code, "card_code": card_code})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert browser.current_url.endswith("/school/pupil/")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "a[href='/lessons/']"))
    return key


def results_text(browser) -> str:
    return browser.find_element(By.ID, "count-results").text


def test_a_pupil_counts_the_votes_two_ways_and_does_the_quiz(browser, live, app, pupil):
    assert browser.current_url.endswith("/lessons/")  # from the pupil's home page
    assert_accessible(browser)
    screenshot(browser, "lessons-index-fr-narrow", width=380)

    browser.get(live + "/lessons/counting-votes")
    assert "20 bulletins comptés" in results_text(browser)
    assert "12 votants sur 20" in results_text(browser) and "20 votants sur 20" in results_text(browser)
    assert_accessible(browser)
    assert fits_a_narrow_screen(browser)
    screenshot(browser, "lessons-counting-fr-narrow", width=380)
    screenshot(browser, "lessons-counting-fr")

    # JavaScript counts again as soon as a ballot is unticked: leave out the eight pupils of the quiet corner
    for number in range(13, 21):
        browser.find_element(By.ID, f"ballot-{number}").click()
    WebDriverWait(browser, 15).until(lambda b: "12 bulletins comptés" in results_text(b))
    assert "12 votants sur 12" in results_text(browser)
    assert_accessible(browser)

    # The button does the same through an ordinary page load (what a browser without JavaScript does)
    browser.find_element(By.ID, "count-budget").clear()
    browser.find_element(By.ID, "count-budget").send_keys("1000")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "#counting-form button[type=submit]"))
    assert "1 000 € à partager" in results_text(browser).replace("\u202f", " ").replace("\xa0", " ")
    assert not browser.find_element(By.ID, "ballot-13").is_selected()

    # The quiz: one wrong answer, then the feedback
    lesson = get("counting-votes")
    for question in lesson.questions:
        choice = question.answer if question.key != "shares" else "more"
        browser.find_element(By.ID, f"q-{question.key}-{choice}").click()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".quiz button[type=submit]"))
    assert "2 bonnes réponses sur 3" in browser.find_element(By.TAG_NAME, "main").text
    assert "La bonne réponse : La même somme pour tout le monde" in browser.find_element(By.TAG_NAME, "main").text
    assert_accessible(browser)
    screenshot(browser, "lessons-quiz-result-fr-narrow", width=380)
    with app.app_context():
        assert services.progress([pupil])[pupil]["per_lesson"]["counting-votes"]["score"] == 2


def test_a_quiz_sent_incomplete_shows_the_error_and_every_lesson_is_accessible(browser, live, app):
    browser.get(live + "/lessons/public-budget")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, ".quiz button[type=submit]"))
    assert "Choisis une réponse pour chaque question." in browser.find_element(By.TAG_NAME, "main").text
    assert_accessible(browser)
    screenshot(browser, "lessons-quiz-error-fr-narrow", width=380)
    for lesson in LESSONS:
        browser.get(f"{live}/lessons/{lesson.slug}")
        assert_accessible(browser)
    screenshot(browser, "lessons-city-projects-fr-narrow", width=380)


def test_a_teacher_reads_a_guide(browser, live, app):
    with app.app_context():
        make_user(Role.TEACHER, email="maitresse@ecole.example.org")
        db.session.commit()
    sign_in(browser, live, "maitresse@ecole.example.org")
    browser.get(live + "/lessons/counting-votes/guide")
    assert "Déroulement en classe" in browser.find_element(By.TAG_NAME, "main").text
    assert_accessible(browser)
    screenshot(browser, "lessons-guide-fr-narrow", width=380)
