"""Comments through the web: the thread on the proposal page, posting, replying, editing, deleting, useful marks,
the city's answers, moderation display, rate limits, bad input changing nothing, XSS and the query budget."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import event, func, select

from app.accounts.models import Role
from app.core import clock
from app.core.models import Notification
from app.core.rendering import render_markdown
from app.cycles.models import PhaseKind
from app.deliberation import services
from app.deliberation.models import Comment, CommentUseful, Report, ReportReason, Stance, Visibility
from app.proposals.models import Follow, Proposal, ProposalStatus
from tests.conftest import csrf_token, login
from tests.factories import make_cycle, make_proposal, make_user
from tests.xss_corpus import PAYLOADS, injected_markup

EN = {"Accept-Language": "en"}


@pytest.fixture
def proposal(db):
    proposal = make_proposal(make_cycle(PhaseKind.SUBMISSION), title="Un jardin partagé rue Colbert")
    db.session.commit()
    return proposal


def page(client, proposal, query="") -> str:
    response = client.get(f"/proposals/{proposal.id}{query}", headers=EN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def send(client, proposal, **fields):
    data = {"csrf_token": csrf_token(client, "/"), "body": "Très bonne idée, il manque de verdure.",
            "stance": "for", "cycle_id": str(proposal.cycle_id)}
    data.update(fields)
    return client.post(f"/comments/proposals/{proposal.id}", data={k: v for k, v in data.items() if v is not None},
                       headers=EN)


def action(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **fields}, headers=EN)


def comments(db, **where) -> list[Comment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Comment).filter_by(**where).order_by(Comment.id)))


def comments_count(db, proposal) -> int:
    db.session.expire_all()
    return db.session.get(Proposal, proposal.id).comments_count


def stored(db, proposal, author, body="Texte", stance=Stance.NEUTRAL, parent=None, **values) -> Comment:
    """A comment saved directly (no guards, no counters), as the thread reads it."""
    comment = Comment(proposal_id=proposal.id, author=author, body=body, body_html=render_markdown(body), stance=stance,
                      parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 0,
                      root_id=(parent.root_id or parent.id) if parent else None, **values)
    db.session.add(comment)
    db.session.flush()
    return comment


def at(moment):
    return mock.patch.object(clock, "_now", return_value=moment)


# --- reading ------------------------------------------------------------------------------------------------------


def test_anonymous_visitors_read_the_thread_and_are_invited_to_sign_in(client, db, proposal):
    stored(db, proposal, make_user(display_name="Inès"), "Oui, **vite**", Stance.FOR)
    db.session.commit()
    html = page(client, proposal)
    assert "Discussion" in html and "Inès" in html and "<strong>vite</strong>" in html
    assert "Sign in to take part in the discussion" in html
    assert 'action="/comments/proposals/' not in html and "Report</a>" not in html
    assert "/reply" in html  # reply links lead to the sign-in page, then back to the reply form


def test_anonymous_post_goes_to_sign_in_and_saves_nothing(client, db, proposal):
    response = send(client, proposal)
    assert response.status_code == 302 and "/account/login" in response.location
    assert comments(db) == []


def test_the_thread_is_not_shown_on_a_draft(client, db):
    author = make_user(locale="en")
    draft = make_proposal(make_cycle(), author, status=ProposalStatus.DRAFT)
    db.session.commit()
    login(client, author)
    html = page(client, draft)
    assert 'id="comments"' not in html


# --- posting ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_role_posts_a_comment(client, db, login_as, proposal, role):
    login_as(role, display_name="Nour", locale="en")
    response = send(client, proposal, stance="against", body="Je suis *contre* : trop cher.")
    assert response.status_code == 302
    [comment] = comments(db)
    assert response.location.endswith(f"/proposals/{proposal.id}#comment-{comment.id}")
    assert comment.stance == Stance.AGAINST and comment.is_official is False
    html = page(client, proposal)
    assert f'id="comment-{comment.id}"' in html and "<em>contre</em>" in html and "Nour" in html
    assert "0 comments for" in html and "1 comment against" in html and "0 neutral comments" in html
    assert comments_count(db, proposal) == 1


def test_the_card_in_the_listing_shows_the_comment_count(client, db, login_as, proposal):
    login_as()
    send(client, proposal)
    html = client.get(f"/proposals/?cycle={proposal.cycle.slug}", headers=EN).get_data(as_text=True)
    assert "1 comment" in html


def test_the_address_is_stored_only_as_a_keyed_hash(client, db, login_as, proposal):
    login_as()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    send(client, proposal)
    [comment] = comments(db)
    assert len(comment.ip_hash) == 64 and "198.51.100.7" not in comment.ip_hash


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": ""}, "Please write your comment."),
        ({"body": "x"}, "A comment must have between 2 and 5000 characters."),
        ({"body": "x" * 5001}, "A comment must have between 2 and 5000 characters."),
        ({"stance": None}, "Please say whether you are for, against or neutral."),
        ({"stance": "maybe"}, "Please say whether you are for, against or neutral."),
        ({"parent_id": "abc"}, ""),
        ({"cycle_id": "abc"}, ""),
    ],
)
def test_bad_input_shows_the_form_again_and_saves_nothing(client, db, login_as, proposal, fields, message):
    login_as(locale="en")
    response = send(client, proposal, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'class="error-summary"' in html
    assert comments(db) == [] and comments_count(db, proposal) == 0


def test_csrf_is_required(client, db, login_as, proposal):
    login_as()
    response = client.post(f"/comments/proposals/{proposal.id}", data={"body": "Sans jeton", "stance": "for"})
    assert response.status_code == 400
    assert comments(db) == []


def test_nesting_deeper_than_three_is_refused_with_a_clear_message(client, db, login_as, proposal):
    user = make_user()
    root = stored(db, proposal, user, "0")
    one = stored(db, proposal, user, "1", parent=root)
    two = stored(db, proposal, user, "2", parent=one)
    three = stored(db, proposal, user, "3", parent=two)
    db.session.commit()
    login_as(locale="en")
    response = send(client, proposal, parent_id=str(three.id))
    assert response.status_code == 422
    assert "Replies can be nested at most 3 levels deep" in response.get_data(as_text=True)
    assert len(comments(db)) == 4
    # The reply form of that comment answers in the same conversation instead.
    form = client.get(f"/comments/{three.id}/reply", headers=EN).get_data(as_text=True)
    assert f'name="parent_id" type="hidden" value="{two.id}"' in form
    assert send(client, proposal, parent_id=str(two.id)).status_code == 302
    assert comments(db)[-1].depth == 3


def test_a_reply_through_the_reply_page(client, db, login_as, proposal):
    answered = make_user(display_name="Bastien")
    root = stored(db, proposal, answered, "Qui arrosera ?", Stance.NEUTRAL)
    db.session.commit()
    login_as(display_name="Chloé", locale="en")
    form = client.get(f"/comments/{root.id}/reply", headers=EN)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "Reply to Bastien" in html and "Qui arrosera ?" in html
    response = send(client, proposal, parent_id=str(root.id), body="Les voisins, à tour de rôle.")
    assert response.status_code == 302
    reply = comments(db)[-1]
    assert (reply.parent_id, reply.root_id, reply.depth) == (root.id, root.id, 1)
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == answered.id)).all()
    assert "Chloé" in note.message and note.link.endswith(f"#comment-{reply.id}")


def test_reply_to_unknown_or_other_proposals_comment(client, db, login_as, proposal):
    other = stored(db, make_proposal(proposal.cycle), make_user())
    db.session.commit()
    login_as()
    assert send(client, proposal, parent_id="999999").status_code == 404
    assert send(client, proposal, parent_id=str(other.id)).status_code == 403
    assert len(comments(db)) == 1


@pytest.mark.parametrize("phase", [PhaseKind.RESULTS, PhaseKind.CLOSED])
def test_closed_threads_stay_readable_and_refuse_comments(client, db, login_as, phase):
    proposal = make_proposal(make_cycle(phase))
    stored(db, proposal, make_user(), "Un avis ancien", Stance.FOR)
    db.session.commit()
    login_as(locale="en")
    html = page(client, proposal)
    assert "Un avis ancien" in html and "The discussion is closed" in html
    assert 'action="/comments/proposals/' not in html and ">Reply<" not in html and ">Mark as useful<" not in html
    response = send(client, proposal)
    assert response.status_code == 403 and "The discussion is closed" in response.get_data(as_text=True)
    assert len(comments(db)) == 1


def test_a_proposal_of_another_cycle_than_claimed_is_refused(client, db, login_as, proposal):
    other = make_cycle()
    db.session.commit()
    login_as(locale="en")
    response = send(client, proposal, cycle_id=str(other.id))
    assert response.status_code == 403
    assert "does not belong to the budget" in response.get_data(as_text=True)
    assert comments(db) == []


def test_a_hidden_proposal_refuses_comments(client, db, login_as, proposal):
    proposal.hidden_at, proposal.hidden_reason = clock.utcnow(), "spam"
    db.session.commit()
    login_as(locale="en")
    assert send(client, proposal).status_code in (403, 404)
    assert comments(db) == []


def test_a_draft_refuses_comments(client, db, login_as):
    author = login_as(locale="en")
    draft = make_proposal(make_cycle(), author, status=ProposalStatus.DRAFT)
    db.session.commit()
    assert send(client, draft).status_code == 403  # its author sees the page, but cannot comment
    login_as()
    assert send(client, draft).status_code == 404  # others do not even see it
    assert comments(db) == []


def test_a_suspended_account_reads_but_cannot_post(client, db, login_as, proposal):
    login_as(locale="en", suspended_until=clock.utcnow() + timedelta(days=2))
    html = page(client, proposal)
    assert "Your account is suspended" in html and 'action="/comments/proposals/' not in html
    response = send(client, proposal)
    assert response.status_code == 403 and "suspended" in response.get_data(as_text=True)
    assert comments(db) == []


def test_an_unconfirmed_account_is_asked_to_confirm(client, db, login_as, proposal):
    login_as(confirmed=False, locale="en")
    assert "Please confirm your email address" in page(client, proposal)
    assert send(client, proposal).status_code == 403
    assert comments(db) == []


def test_the_same_comment_twice_is_refused(client, db, login_as, proposal):
    login_as(locale="en")
    assert send(client, proposal, body="Je le dis une fois.").status_code == 302
    response = send(client, proposal, body="Je le dis une fois.")
    assert response.status_code == 422 and "You already posted this exact comment" in response.get_data(as_text=True)
    assert len(comments(db)) == 1


def test_a_held_comment_is_seen_by_its_author_and_moderators_only(client, db, login_as, proposal):
    author = login_as(locale="en")
    with mock.patch("app.deliberation.services.holds_for_moderation", return_value=True):
        response = send(client, proposal, body="Un mot interdit ici")
    assert response.status_code == 302
    [comment] = comments(db)
    assert comment.visibility == Visibility.PENDING and comments_count(db, proposal) == 0
    assert "Awaiting moderation" in page(client, proposal) and "Un mot interdit ici" in page(client, proposal)
    login_as(locale="en")
    assert "Un mot interdit ici" not in page(client, proposal)
    assert client.get(f"/comments/{comment.id}").status_code == 404
    login_as(Role.MODERATOR, locale="en")
    assert "Un mot interdit ici" in page(client, proposal)
    client.get("/")  # the anonymous visitor does not see it either
    with client.session_transaction() as session:
        session.clear()
    assert "Un mot interdit ici" not in page(client, proposal)
    assert author.id == comment.author_id


def test_a_hidden_comment_shows_the_moderation_reason_and_keeps_replies(client, db, proposal):
    hidden = stored(db, proposal, make_user(), "Propos insultants", visibility=Visibility.HIDDEN,
                    moderation_reason="insult")
    stored(db, proposal, make_user(), "Réponse toujours lisible", parent=hidden)
    db.session.commit()
    html = page(client, proposal)
    assert "Hidden by moderation: insult" in html and "Propos insultants" not in html
    assert "Réponse toujours lisible" in html


# --- official answers ---------------------------------------------------------------------------------------------


def test_an_official_answer_is_highlighted_and_pinned(client, db, login_as, proposal):
    stored(db, proposal, make_user(), "Une question avant")
    db.session.commit()
    login_as(Role.OFFICIAL, display_name="Service des jardins", locale="en")
    assert 'name="official"' in page(client, proposal)
    response = send(client, proposal, body="La ville valide le terrain.", stance="neutral", official="y")
    assert response.status_code == 302
    answer = comments(db)[-1]
    assert answer.is_official
    html = page(client, proposal, "?sort=newest")
    pinned = html.index('id="city-answer-heading"')
    assert pinned < html.index("La ville valide le terrain.") < html.index("Une question avant")
    assert "comment-official" in html


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.AGENT, Role.TEACHER])
def test_other_roles_cannot_post_the_citys_answer(client, db, login_as, proposal, role):
    login_as(role, locale="en")
    assert 'name="official"' not in page(client, proposal)
    response = send(client, proposal, official="y")
    assert response.status_code == 403
    assert comments(db) == []


def test_the_assigned_reviewer_can_answer_for_the_city(client, db, login_as, proposal):
    moderator = login_as(Role.MODERATOR, locale="en")
    proposal.reviewer_id = moderator.id
    db.session.commit()
    assert send(client, proposal, official="y").status_code == 302
    assert comments(db)[0].is_official


# --- editing and deleting -----------------------------------------------------------------------------------------


def test_the_author_edits_within_the_window_and_the_page_says_edited(client, db, login_as, proposal):
    author = login_as(locale="en")
    start = clock.utcnow()
    with at(start):
        comment = stored(db, proposal, author, "Premier jet", Stance.FOR)
        db.session.commit()
    with at(start + timedelta(minutes=10)):
        form = client.get(f"/comments/{comment.id}/edit", headers=EN)
        assert form.status_code == 200 and "Premier jet" in form.get_data(as_text=True)
        assert page(client, proposal).count(f"/comments/{comment.id}/edit") == 1
        response = action(client, f"/comments/{comment.id}/edit", body="Deuxième jet", stance="against")
        assert response.status_code == 302
        html = page(client, proposal)
        assert "Deuxième jet" in html and ">edited<" in html
    assert comments(db)[0].stance == Stance.AGAINST
    with at(start + timedelta(minutes=16)):
        assert f"/comments/{comment.id}/edit" not in page(client, proposal)
        response = action(client, f"/comments/{comment.id}/edit", body="Troisième jet", stance="for")
        assert response.status_code == 403
        assert "15 minutes" in response.get_data(as_text=True)
    assert comments(db)[0].body == "Deuxième jet"


def test_edit_bad_input_changes_nothing(client, db, login_as, proposal):
    author = login_as(locale="en")
    comment = stored(db, proposal, author, "Texte d'origine", Stance.FOR)
    db.session.commit()
    for fields in ({"body": "x", "stance": "for"}, {"body": "Bon texte", "stance": "peut-être"},
                   {"body": "y" * 5001, "stance": "for"}):
        assert action(client, f"/comments/{comment.id}/edit", **fields).status_code == 422
    assert client.post(f"/comments/{comment.id}/edit", data={"body": "Sans jeton", "stance": "for"}).status_code == 400
    assert comments(db)[0].body == "Texte d'origine" and comments(db)[0].edited_at is None


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_nobody_edits_or_deletes_anothers_comment(client, db, login_as, proposal, role):
    comment = stored(db, proposal, make_user(), "Pas à toi")
    db.session.commit()
    login_as(role)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert action(client, f"/comments/{comment.id}/edit", body="Piraté", stance="for").status_code == 403
    assert client.get(f"/comments/{comment.id}/delete").status_code == 403
    assert action(client, f"/comments/{comment.id}/delete").status_code == 403
    [unchanged] = comments(db)
    assert unchanged.body == "Pas à toi" and unchanged.deleted_at is None


def test_the_author_deletes_after_confirming_and_replies_stay(client, db, login_as, proposal):
    author = login_as(locale="en")
    root = stored(db, proposal, author, "À supprimer", Stance.FOR)
    stored(db, proposal, make_user(), "Une réponse qui reste", parent=root)
    proposal.comments_count = 2
    db.session.commit()
    confirm = client.get(f"/comments/{root.id}/delete", headers=EN)
    assert confirm.status_code == 200 and "Delete your comment?" in confirm.get_data(as_text=True)
    assert client.post(f"/comments/{root.id}/delete", data={}).status_code == 400  # no CSRF token
    assert comments(db)[0].deleted_at is None
    assert action(client, f"/comments/{root.id}/delete").status_code == 302
    html = page(client, proposal)
    assert "Comment deleted by its author." in html and "À supprimer" not in html
    assert "Une réponse qui reste" in html
    assert comments_count(db, proposal) == 1


# --- useful marks -------------------------------------------------------------------------------------------------


def test_mark_useful_and_withdraw(client, db, login_as, proposal):
    comment = stored(db, proposal, make_user(), "Utile ?")
    db.session.commit()
    login_as(locale="en")
    assert ">Mark as useful<" in page(client, proposal)
    response = action(client, f"/comments/{comment.id}/useful", next=f"/proposals/{proposal.id}?sort=useful")
    assert response.status_code == 302
    assert response.location.endswith(f"/proposals/{proposal.id}?sort=useful#comment-{comment.id}")
    html = page(client, proposal)
    assert "1 person found this useful" in html and "Withdraw my “useful” mark" in html
    action(client, f"/comments/{comment.id}/useful")  # twice changes nothing
    assert comments(db)[0].useful_count == 1
    action(client, f"/comments/{comment.id}/not-useful")
    assert comments(db)[0].useful_count == 0
    assert db.session.scalar(select(func.count()).select_from(CommentUseful)) == 0


def test_no_useful_mark_on_ones_own_comment_nor_without_csrf_or_sign_in(client, db, login_as, proposal):
    author = login_as(locale="en")
    own = stored(db, proposal, author, "Le mien")
    db.session.commit()
    assert ">Mark as useful<" not in page(client, proposal)
    response = action(client, f"/comments/{own.id}/useful")
    assert response.status_code == 302
    assert "You cannot mark this comment as useful." in client.get(response.location, headers=EN).get_data(
        as_text=True)
    assert comments(db)[0].useful_count == 0
    assert client.post(f"/comments/{own.id}/useful", data={}).status_code == 400
    with client.session_transaction() as session:
        session.clear()
    assert "/account/login" in action(client, f"/comments/{own.id}/useful").location


def test_a_foreign_next_is_ignored(client, db, login_as, proposal):
    comment = stored(db, proposal, make_user())
    db.session.commit()
    login_as()
    response = action(client, f"/comments/{comment.id}/useful", next="https://evil.example/")
    assert response.location.endswith(f"/proposals/{proposal.id}#comment-{comment.id}")


# --- reporting ----------------------------------------------------------------------------------------------------


def test_report_link_on_others_comments_only(client, db, login_as, proposal):
    reader = login_as(locale="en")
    others = stored(db, proposal, make_user(), "Celui d'un autre")
    mine = stored(db, proposal, reader, "Le mien")
    db.session.commit()
    html = page(client, proposal)
    assert f'href="/moderation/report/comment/{others.id}"' in html
    assert f"/moderation/report/comment/{mine.id}" not in html


# --- filters, order, pages ----------------------------------------------------------------------------------------


def test_filter_sort_and_pages_through_get_parameters(client, db, proposal):
    authors = [make_user() for _ in range(3)]
    for i in range(23):
        stance = [Stance.FOR, Stance.AGAINST, Stance.NEUTRAL][i % 3]
        stored(db, proposal, authors[i % 3], f"Avis numéro {i:02d}", stance, useful_count=1 if i == 7 else 0)
    db.session.commit()

    def bodies(html):
        return re.findall(r"Avis numéro (\d\d)", html)

    first = page(client, proposal)
    assert bodies(first)[:3] == ["00", "01", "02"] and len(bodies(first)) == 20
    assert "Page 1 of 2" in first and "page=2" in first
    assert bodies(page(client, proposal, "?page=2")) == ["20", "21", "22"]
    assert bodies(page(client, proposal, "?sort=newest"))[:2] == ["22", "21"]
    assert bodies(page(client, proposal, "?sort=useful"))[0] == "07"
    against = bodies(page(client, proposal, "?stance=against"))
    assert against == [f"{i:02d}" for i in range(1, 23, 3)]
    html = page(client, proposal, "?stance=against&sort=newest")
    assert bodies(html)[0] == "22" and '<option selected value="against">' in html
    # Bad values fall back to the defaults rather than failing.
    for query in ("?stance=maybe", "?sort=random", "?page=abc", "?page=999", "?page=-1"):
        assert len(bodies(page(client, proposal, query))) in (3, 20)


def test_see_all_replies_when_a_conversation_is_long(client, db, proposal):
    root = stored(db, proposal, make_user(), "Racine")
    for i in range(55):
        stored(db, proposal, make_user(), f"Réponse {i:02d}", parent=root)
    db.session.commit()
    html = page(client, proposal)
    assert "Réponse 49" in html and "Réponse 50" not in html
    assert f'href="/comments/{root.id}">See all 55 replies' in html
    full = client.get(f"/comments/{root.id}", headers=EN).get_data(as_text=True)
    assert "Réponse 54" in full and "55 replies" in full
    reply = comments(db, body="Réponse 03")[0]
    assert client.get(f"/comments/{reply.id}").location.endswith(f"/comments/{root.id}#comment-{reply.id}")


def test_mentions_link_to_other_public_proposals(client, db, login_as, proposal):
    other = make_proposal(proposal.cycle, title="Un autre projet")
    db.session.commit()
    login_as()
    send(client, proposal, body=f"Voir aussi #{other.id} et #{proposal.id + 100000}.")
    html = page(client, proposal)
    assert f'<a href="/proposals/{other.id}" rel="nofollow ugc noopener noreferrer">#{other.id}</a>' in html


# --- guards -------------------------------------------------------------------------------------------------------


def test_rate_limit_per_account(app, client, db, login_as, proposal, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_RATE_LIMIT", "2 per minute")
    login_as()
    for i, address in enumerate(("198.51.100.1", "198.51.100.2")):
        client.environ_base["REMOTE_ADDR"] = address
        assert send(client, proposal, body=f"Commentaire {i}").status_code == 302
    client.environ_base["REMOTE_ADDR"] = "198.51.100.3"
    assert send(client, proposal, body="Un de trop").status_code == 429
    assert len(comments(db)) == 2


def test_rate_limit_per_address(app, client, db, login_as, proposal, monkeypatch):
    monkeypatch.setitem(app.config, "COMMENT_ADDRESS_RATE_LIMIT", "2 per minute")
    client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    for i in range(2):
        login_as()
        assert send(client, proposal, body=f"Commentaire {i}").status_code == 302
    login_as()
    assert send(client, proposal, body="Un de trop").status_code == 429
    client.environ_base["REMOTE_ADDR"] = "198.51.100.10"
    assert send(client, proposal, body="D'ailleurs").status_code == 302
    assert len(comments(db)) == 3


def test_the_default_limits_are_configured(app):
    assert app.config["COMMENT_RATE_LIMIT"] == "10 per minute;60 per hour"
    assert app.config["COMMENT_ADDRESS_RATE_LIMIT"]


# --- safety and performance ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_xss_payloads_in_comments_are_harmless(client, db, login_as, proposal, payload):
    login_as(display_name=payload[:80])
    response = send(client, proposal, body=f"Mon avis : {payload}")
    assert response.status_code == 302
    [comment] = comments(db)
    paths = [f"/proposals/{proposal.id}", f"/comments/{comment.id}", f"/comments/{comment.id}/reply",
             f"/comments/{comment.id}/edit", f"/comments/{comment.id}/delete"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert injected_markup(response.get_data(as_text=True)) == [], path


def count_queries(db, client, path) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def fill_thread(db, proposal, roots: int, replies: int, readers) -> None:
    users = [make_user() for _ in range(7)]
    for i in range(roots):
        root = stored(db, proposal, users[i % 7], f"Racine {i}", list(Stance)[i % 3], useful_count=i % 4)
        parent = root
        for j in range(replies):
            parent = stored(db, proposal, users[(i + j) % 7], f"Réponse {i}.{j}", parent=parent if j < 3 else root)
        for reader in readers:
            db.session.add(CommentUseful(comment_id=root.id, user_id=reader.id))
    stored(db, proposal, users[0], "En attente", visibility=Visibility.PENDING)
    stored(db, proposal, users[1], "Cachée", visibility=Visibility.HIDDEN, moderation_reason="spam")
    db.session.commit()


@pytest.mark.parametrize("role", [None, Role.RESIDENT, Role.MODERATOR])
def test_the_thread_uses_a_bounded_number_of_queries(client, db, role, login_as):
    small = make_proposal(make_cycle())
    large = make_proposal(small.cycle)
    reader = login_as(role) if role else None
    readers = [reader] if reader else []
    db.session.add(Follow(proposal_id=small.id, user_id=make_user().id))
    fill_thread(db, small, roots=2, replies=1, readers=readers)
    fill_thread(db, large, roots=30, replies=6, readers=readers)
    for query in ("", "?sort=useful", "?sort=newest&stance=against", "?page=2"):
        few = count_queries(db, client, f"/proposals/{small.id}{query}")
        many = count_queries(db, client, f"/proposals/{large.id}{query}")
        assert many == few, (query, few, many)
    html = client.get(f"/proposals/{large.id}").get_data(as_text=True)
    assert html.count('<li class="comment') == 20 * 7


def test_after_posting_the_reader_lands_where_the_comment_is(client, db, login_as, proposal):
    root = stored(db, proposal, make_user(), "Racine longue")
    for i in range(services.ROOTS_PER_PAGE):
        stored(db, proposal, make_user(), f"Avis {i}")
    for i in range(services.REPLIES_PER_ROOT):
        stored(db, proposal, make_user(), f"Réponse {i}", parent=root)
    db.session.commit()
    login_as()
    response = send(client, proposal, body="Un avis de plus")
    new = comments(db)[-1]
    assert response.location.endswith(f"/proposals/{proposal.id}?page=2#comment-{new.id}")
    assert f'id="comment-{new.id}"' in page(client, proposal, "?page=2")
    response = send(client, proposal, body="La 51e réponse", parent_id=str(root.id))
    reply = comments(db)[-1]
    assert response.location.endswith(f"/comments/{root.id}#comment-{reply.id}")


def test_the_five_latest_city_answers_are_pinned_and_older_ones_stay_in_the_thread(client, db, proposal):
    official = make_user(Role.OFFICIAL)
    answers = [stored(db, proposal, official, f"Réponse officielle {i}", is_official=True) for i in range(6)]
    db.session.commit()
    html = page(client, proposal)
    pinned = html[html.index('id="city-answer-heading"'):html.index('id="comment-list-heading"')]
    assert re.findall(r"Réponse officielle (\d)", pinned) == ["5", "4", "3", "2", "1"]
    listed = html[html.index('id="comment-list-heading"'):]
    assert re.findall(r"Réponse officielle (\d)", listed) == ["0"]
    assert answers[0].is_official


def test_a_stance_filter_lists_replies_too_with_a_link_to_their_conversation(client, db, proposal):
    root = stored(db, proposal, make_user(), "Une question neutre", Stance.NEUTRAL)
    reply = stored(db, proposal, make_user(), "Une réponse favorable", Stance.FOR, parent=root)
    stored(db, proposal, make_user(), "Effacé", Stance.FOR, deleted_at=clock.utcnow())
    db.session.commit()
    html = page(client, proposal, "?stance=for")
    assert "Une réponse favorable" in html and "Une question neutre" not in html
    assert f'href="/comments/{root.id}#comment-{reply.id}"' in html
    assert "Comment deleted by its author." not in html
    assert "1 comment for" in html


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_open_report_counts_are_shown_to_moderators_only(client, db, login_as, proposal, role):
    comment = stored(db, proposal, make_user(), "Signalé")
    db.session.add(Report(target_type="comment", target_id=comment.id, reporter_id=make_user().id,
                          reason=ReportReason.SPAM))
    db.session.commit()
    login_as(role, locale="en")
    assert ("1 open report" in page(client, proposal)) is (role in (Role.MODERATOR, Role.OFFICIAL))


def test_the_reply_page_sends_back_who_cannot_reply(client, db, login_as, proposal):
    comment = stored(db, proposal, make_user(), "Une question")
    hidden = stored(db, proposal, make_user(), "Caché", visibility=Visibility.HIDDEN, moderation_reason="spam")
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
    assert "/account/login" in client.get(f"/comments/{comment.id}/reply").location
    login_as(confirmed=False, locale="en")
    response = client.get(f"/comments/{comment.id}/reply", headers=EN)
    assert response.status_code == 302
    assert "Please confirm your email address" in client.get(response.location, headers=EN).get_data(as_text=True)
    login_as(locale="en", suspended_until=clock.utcnow() + timedelta(days=1))
    assert client.get(f"/comments/{comment.id}/reply").status_code == 302
    login_as(locale="en")
    assert client.get(f"/comments/{comment.id}/reply").status_code == 200
    assert client.get(f"/comments/{hidden.id}/reply").status_code == 302
    assert client.get("/comments/999999/reply").status_code == 404
