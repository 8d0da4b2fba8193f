"""The discussion under a proposal in a real browser: comment, reply, mark useful, report; no accessibility
violations on a proposal page with a thread, on the reply form and on a form with errors."""

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from app.accounts.models import Role
from app.core.clock import utcnow
from app.core.rendering import render_markdown
from app.cycles.models import PhaseKind
from app.deliberation.models import Comment, Report, Stance, Visibility
from app.extensions import db
from tests.browser.conftest import assert_accessible, click_and_wait, fill, screenshot
from tests.factories import PASSWORD, make_cycle, make_proposal, make_user

pytestmark = pytest.mark.browser


def _comment(proposal, author, body, stance, parent=None, **values) -> Comment:
    comment = Comment(proposal_id=proposal.id, author=author, body=body, body_html=render_markdown(body),
                      stance=stance, parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 0,
                      root_id=(parent.root_id or parent.id) if parent else None, **values)
    db.session.add(comment)
    db.session.flush()
    return comment


thread_ids: dict[str, int] = {}


@pytest.fixture
def thread(app, live):
    with app.app_context():
        cycle = make_cycle(PhaseKind.SUBMISSION, title="Budget participatif 2027")
        author = make_user(display_name="Léa M.", email="lea@example.org")
        make_user(display_name="Camille D.", email="camille@example.org")
        make_user(display_name="Yanis B.", email="yanis@example.org")
        official = make_user(Role.OFFICIAL, display_name="Service des espaces verts")
        proposal = make_proposal(cycle, author, title="Un jardin partagé rue Colbert",
                                 body="Transformer la friche de la rue Colbert en **jardin partagé**.")
        neighbour = make_user(display_name="Hugo")
        first = _comment(proposal, neighbour, "Qui s'occupera de l'arrosage en août ?", Stance.NEUTRAL)
        _comment(proposal, official, "La ville peut fournir **un point d'eau** et des bacs. Voir aussi le "
                                     "projet voisin.", Stance.NEUTRAL, is_official=True)
        answer = _comment(proposal, author, "Une association de quartier est prête à s'en charger.", Stance.FOR,
                          parent=first)
        _comment(proposal, neighbour, "Texte retiré", Stance.AGAINST, visibility=Visibility.HIDDEN,
                 moderation_reason="insult")
        _comment(proposal, author, "", Stance.FOR, deleted_at=utcnow())
        proposal.comments_count = 3
        db.session.commit()
        thread_ids.update(first=first.id, answer=answer.id)
        return proposal.id


def sign_in(browser, live, email):
    browser.delete_all_cookies()
    browser.get(live + "/account/login")
    fill(browser, {"email": email, "password": PASSWORD})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))


def newest_comment(app, **where) -> Comment:
    with app.app_context():
        return db.session.scalars(select(Comment).filter_by(**where).order_by(Comment.id.desc())).first()


def test_comment_reply_useful_and_report(browser, live, app, thread):
    proposal_url = f"{live}/proposals/{thread}"
    browser.get(proposal_url)
    assert browser.find_element(By.ID, "comments")
    assert_accessible(browser)

    # Camille gives her opinion.
    sign_in(browser, live, "camille@example.org")
    browser.get(proposal_url)
    form = browser.find_element(By.CSS_SELECTOR, "form.comment-form")
    # An empty comment comes back with its errors, accessibly.
    click_and_wait(browser, form.find_element(By.CSS_SELECTOR, "[type=submit]"))
    assert browser.find_element(By.CLASS_NAME, "error-summary")
    assert_accessible(browser)
    screenshot(browser, "comment-errors-fr-narrow", width=380)
    fill(browser, {"body": "Excellente idée : *enfin* de la verdure.\n\n- des bancs\n- de l'ombre"})
    browser.find_element(By.CSS_SELECTOR, "input[name=stance][value=for]").click()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.comment-form [type=submit]"))
    mine = newest_comment(app, body="Excellente idée : *enfin* de la verdure.\n\n- des bancs\n- de l'ombre")
    assert mine is not None and mine.stance == Stance.FOR
    item = browser.find_element(By.ID, f"comment-{mine.id}")
    assert item.find_element(By.TAG_NAME, "em").text == "enfin"
    assert "Camille D." in item.text

    # Yanis answers her, against.
    sign_in(browser, live, "yanis@example.org")
    browser.get(proposal_url)
    reply_link = browser.find_element(By.CSS_SELECTOR, f"#comment-{mine.id} a[href$='/comments/{mine.id}/reply']")
    click_and_wait(browser, reply_link)
    assert_accessible(browser)
    screenshot(browser, "comment-reply-fr")
    fill(browser, {"body": "Je préférerais un parking vélo."})
    browser.find_element(By.CSS_SELECTOR, "input[name=stance][value=against]").click()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.comment-form [type=submit]"))
    reply = newest_comment(app, parent_id=mine.id)
    assert reply is not None and reply.depth == 1 and reply.stance == Stance.AGAINST
    nested = browser.find_element(By.CSS_SELECTOR, f"#comment-{mine.id} .comment-replies #comment-{reply.id}")
    assert "Je préférerais un parking vélo." in nested.text

    # He marks her comment useful, then the page says so.
    useful = browser.find_element(By.CSS_SELECTOR, f"#comment-{mine.id} form[action$='/comments/{mine.id}/useful'] "
                                                   "button")
    click_and_wait(browser, useful)
    assert browser.current_url.endswith(f"#comment-{mine.id}")
    assert newest_comment(app, id=mine.id).useful_count == 1
    assert browser.find_elements(By.CSS_SELECTOR, f"#comment-{mine.id} form[action$='/not-useful']")

    # He reports it too, through the moderation form its "Report" link leads to.
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, f"#comment-{mine.id} a.report-comment"))
    browser.find_element(By.CSS_SELECTOR, "input[name=reason][value=off_topic]").click()
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form [type=submit]"))
    assert browser.current_url.endswith(f"#comment-{mine.id}")
    with app.app_context():
        [saved] = db.session.scalars(select(Report).where(Report.target_id == mine.id)).all()
        assert saved.target_type == "comment" and saved.reason.value == "off_topic"

    browser.get(proposal_url)
    assert browser.find_element(By.CSS_SELECTOR, ".city-answers .comment-official")
    assert_accessible(browser)
    screenshot(browser, "comment-thread-fr")
    screenshot(browser, "comment-thread-fr-narrow", width=380)


def test_filtered_and_sorted_thread_is_accessible(browser, live, app, thread):
    browser.get(f"{live}/proposals/{thread}?stance=for&sort=newest#comments")
    assert browser.find_element(By.CSS_SELECTOR, "#thread-stance option[value=for]").is_selected()
    assert_accessible(browser)
    screenshot(browser, "comment-thread-filtered-fr-narrow", width=380)


def test_edit_delete_and_conversation_pages(browser, live, app, thread):
    answer, first = thread_ids["answer"], thread_ids["first"]
    sign_in(browser, live, "lea@example.org")
    browser.get(f"{live}/comments/{answer}/edit")
    assert_accessible(browser)
    fill(browser, {"body": "Une association de quartier est prête à s'en charger tout l'été."})
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.comment-form [type=submit]"))
    assert "tout l'été" in browser.find_element(By.ID, f"comment-{answer}").text
    assert browser.find_element(By.CSS_SELECTOR, f"#comment-{answer} .comment-edited")

    browser.get(f"{live}/comments/{answer}/delete")
    assert_accessible(browser)
    screenshot(browser, "comment-delete-fr-narrow", width=380)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "main form .button-danger"))
    assert browser.find_element(By.CSS_SELECTOR, f"#comment-{answer} .comment-placeholder")

    browser.get(f"{live}/comments/{first}")
    assert browser.find_element(By.CSS_SELECTOR, f"#comment-{first} .comment-replies #comment-{answer}")
    assert_accessible(browser)
    screenshot(browser, "comment-conversation-fr")
