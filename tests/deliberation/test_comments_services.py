"""Comment services: posting, replies and their depth, stances, edits in time, deletion, useful marks, official
answers, mentions, guards (duplicates, held words, suspension, phases, cycles) and notifications."""

from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, Notification, OutboxMessage
from app.cycles.models import PhaseKind
from app.deliberation import services
from app.deliberation.models import Comment, CommentUseful, ForbiddenWord, Stance, Visibility
from app.proposals.models import Follow, ProposalStatus
from tests.deliberation.test_comments_views import stored
from tests.factories import make_cycle, make_proposal, make_user


@pytest.fixture
def ctx(app, db):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield db


@pytest.fixture
def proposal(ctx):
    return make_proposal(make_cycle(PhaseKind.SUBMISSION), title="Des bancs place du Concert")


def post(user, proposal, body="Une bonne idée pour le quartier.", stance=Stance.FOR, **kwargs):
    return services.post_comment(user, proposal, body, stance, **kwargs)


def count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def at(moment):
    return mock.patch.object(clock, "_now", return_value=moment)


# --- posting ------------------------------------------------------------------------------------------------------


def test_post_renders_markdown_counts_and_hashes_the_address(ctx, proposal):
    user = make_user()
    text = "Je suis **pour**, avec des [bancs](https://example.org) :\n\n- ombre\n- eau\n\n> oui"
    comment = post(user, proposal, text, address="203.0.113.9")
    assert comment.depth == 0 and comment.root_id is None and comment.stance == Stance.FOR
    assert "<strong>pour</strong>" in comment.body_html and "<li>ombre</li>" in comment.body_html
    assert "<blockquote>" in comment.body_html
    assert 'rel="nofollow ugc noopener noreferrer"' in comment.body_html
    assert comment.visibility == Visibility.VISIBLE and proposal.comments_count == 1
    assert len(comment.ip_hash) == 64 and "203.0.113.9" not in comment.ip_hash
    assert comment.ip_hash == services.hash_address("203.0.113.9") != services.hash_address("203.0.113.10")


@pytest.mark.parametrize(("body", "field"), [("", "body"), ("x", "body"), ("   y   ", "body"), ("x" * 5001, "body")])
def test_bad_bodies_are_refused(ctx, proposal, body, field):
    with pytest.raises(ServiceError) as error:
        post(make_user(), proposal, body)
    assert error.value.field == field
    assert count(ctx, Comment) == 0 and proposal.comments_count == 0


def test_a_body_of_exactly_the_limits_is_accepted(ctx, proposal):
    user = make_user()
    post(user, proposal, "ok")
    post(user, proposal, "y" * 5000)
    assert proposal.comments_count == 2


def test_too_long_message_says_the_limit(ctx, proposal):
    with pytest.raises(ServiceError) as error:
        post(make_user(), proposal, "x" * 6000)
    assert "5000" in str(error.value.message) and "6000" in str(error.value.message)


def test_bad_stance_is_refused(ctx, proposal):
    with pytest.raises(ServiceError) as error:
        post(make_user(), proposal, stance="maybe")
    assert error.value.field == "stance"


def test_replies_nest_to_depth_three_and_deeper_is_refused(ctx, proposal):
    user, other = make_user(), make_user()
    root = post(user, proposal, "Racine")
    one = post(other, proposal, "Un", parent=root)
    two = post(user, proposal, "Deux", parent=one)
    three = post(other, proposal, "Trois", parent=two)
    assert [c.depth for c in (root, one, two, three)] == [0, 1, 2, 3]
    assert {one.root_id, two.root_id, three.root_id} == {root.id}
    assert three.parent_id == two.id
    with pytest.raises(ServiceError) as error:
        post(user, proposal, "Quatre", parent=three)
    assert "3" in str(error.value.message)
    # "Then flat": the reply form of a depth-3 comment answers in the same conversation, at depth 3.
    flat = post(user, proposal, "Quatre, à plat", parent=two)
    assert flat.depth == 3 and flat.parent_id == two.id
    assert proposal.comments_count == 5


def test_a_reply_to_another_proposals_comment_is_refused(ctx, proposal):
    other_proposal = make_proposal(proposal.cycle)
    root = post(make_user(), other_proposal)
    with pytest.raises(NotAllowed):
        post(make_user(), proposal, parent=root)
    assert count(ctx, Comment, Comment.proposal_id == proposal.id) == 0


def test_a_pending_comment_cannot_be_answered(ctx, proposal):
    ctx.session.add(ForbiddenWord(word="arnaque"))
    held = post(make_user(), proposal, "Une arnaque totale")
    with pytest.raises(ServiceError):
        post(make_user(), proposal, parent=held)


@pytest.mark.parametrize("phase", [PhaseKind.SUBMISSION, PhaseKind.REVIEW, PhaseKind.VOTING])
def test_comments_open_from_submission_to_voting(ctx, phase):
    proposal = make_proposal(make_cycle(phase))
    post(make_user(), proposal)
    assert proposal.comments_count == 1


@pytest.mark.parametrize("phase", [PhaseKind.RESULTS, PhaseKind.IMPLEMENTATION, PhaseKind.CLOSED])
def test_comments_closed_after_the_vote(ctx, phase):
    proposal = make_proposal(make_cycle(phase))
    with pytest.raises(NotAllowed) as error:
        post(make_user(), proposal)
    assert "closed" in str(error.value.message)
    assert count(ctx, Comment) == 0


def test_comments_refused_before_the_cycle_opens(ctx, proposal):
    with at(clock.utcnow() - timedelta(days=400)), pytest.raises(NotAllowed):
        post(make_user(), proposal)


@pytest.mark.parametrize("status", [ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN, ProposalStatus.MERGED])
def test_drafts_withdrawn_and_merged_proposals_refuse_comments(ctx, status):
    proposal = make_proposal(make_cycle(), status=status)
    with pytest.raises(NotAllowed):
        post(proposal.author, proposal)


def test_a_hidden_proposal_refuses_comments(ctx, proposal):
    proposal.hidden_at, proposal.hidden_reason = clock.utcnow(), "insult"
    with pytest.raises(NotAllowed) as error:
        post(make_user(), proposal)
    assert "hidden" in str(error.value.message)


def test_a_proposal_of_another_cycle_than_claimed_is_refused(ctx, proposal):
    other = make_cycle()
    with pytest.raises(NotAllowed) as error:
        post(make_user(), proposal, cycle_id=other.id)
    assert "budget" in str(error.value.message)
    assert post(make_user(), proposal, cycle_id=proposal.cycle_id).id


def test_a_suspended_account_cannot_write(ctx, proposal):
    suspended = make_user(suspended_until=clock.utcnow() + timedelta(days=3))
    mine = post(make_user(), proposal)
    with pytest.raises(NotAllowed):
        post(suspended, proposal)
    with pytest.raises(NotAllowed):
        services.mark_useful(suspended, mine)
    own = post(make_user(), proposal, "Le mien")
    own.author_id = suspended.id
    with pytest.raises(NotAllowed):
        services.edit_comment(suspended, own, "Changé", Stance.AGAINST)
    with pytest.raises(NotAllowed):
        services.delete_comment(suspended, own)
    # Once the suspension is over, writing works again.
    suspended.suspended_until = clock.utcnow() - timedelta(minutes=1)
    assert post(suspended, proposal, "De retour").id


def test_an_unconfirmed_account_cannot_comment(ctx, proposal):
    with pytest.raises(NotAllowed) as error:
        post(make_user(confirmed=False), proposal)
    assert "confirm" in str(error.value.message)


def test_the_same_text_twice_within_a_day_is_refused(ctx, proposal):
    user = make_user()
    start = clock.utcnow()
    with at(start):
        post(user, proposal, "Copié collé partout")
    other_proposal = make_proposal(proposal.cycle)
    with at(start + timedelta(hours=23)), pytest.raises(ServiceError) as error:
        post(user, other_proposal, "  Copié collé partout  ")
    assert "already" in str(error.value.message)
    # Someone else may say the same thing; and the author may repeat it the next day.
    post(make_user(), proposal, "Copié collé partout")
    with at(start + timedelta(hours=25)):
        post(user, other_proposal, "Copié collé partout")
    assert count(ctx, Comment) == 3


def test_a_forbidden_word_holds_the_comment_for_moderation(ctx, proposal):
    ctx.session.add(ForbiddenWord(word="arnaque"))
    follower = make_user()
    ctx.session.add(Follow(proposal_id=proposal.id, user_id=follower.id, by_email=True))
    comment = post(make_user(), proposal, "C'est une ARNAQUE")
    assert comment.visibility == Visibility.PENDING
    assert proposal.comments_count == 0
    assert count(ctx, Notification, Notification.user_id == follower.id) == 0


def test_the_moderation_hook_decides(ctx, proposal):
    with mock.patch.object(services, "holds_for_moderation", return_value=True) as hook:
        comment = post(make_user(), proposal, "Un texte à vérifier")
    hook.assert_called_once_with("Un texte à vérifier")
    assert comment.visibility == Visibility.PENDING


# --- official answers ---------------------------------------------------------------------------------------------


def test_an_official_publishes_the_citys_answer_with_an_audit_entry(ctx, proposal):
    official = make_user(Role.OFFICIAL)
    answer = post(official, proposal, "La ville étudie la demande.", Stance.NEUTRAL, official=True)
    assert answer.is_official
    entry = ctx.session.scalar(select(AuditEntry).where(AuditEntry.action == "comment.official_answer"))
    assert entry.actor_id == official.id and entry.target_id == str(answer.id)


def test_the_assigned_reviewer_may_answer_for_the_city(ctx, proposal):
    moderator = make_user(Role.MODERATOR)
    with pytest.raises(NotAllowed):
        post(moderator, proposal, official=True)
    proposal.reviewer_id = moderator.id
    assert post(moderator, proposal, official=True).is_official


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.MODERATOR, Role.AGENT, Role.TEACHER])
def test_other_roles_cannot_answer_for_the_city(ctx, proposal, role):
    with pytest.raises(NotAllowed):
        post(make_user(role), proposal, official=True)
    assert count(ctx, Comment) == 0


# --- mentions -----------------------------------------------------------------------------------------------------


def test_mentions_of_public_proposals_become_links(ctx, proposal):
    public = make_proposal(proposal.cycle)
    draft = make_proposal(proposal.cycle, status=ProposalStatus.DRAFT)
    hidden = make_proposal(proposal.cycle, hidden_at=clock.utcnow(), hidden_reason="spam")
    text = (f"Voir #{public.id}, #{draft.id}, #{hidden.id} et #999999; pas `#{public.id}` "
            f"ni https://example.org/#{public.id} ni &#{public.id};")
    html = post(make_user(), proposal, text).body_html
    assert html.count(f'href="/proposals/{public.id}"') == 1
    assert f"/proposals/{draft.id}" not in html and f"/proposals/{hidden.id}" not in html
    assert "/proposals/999999" not in html
    assert f"<code>#{public.id}</code>" in html


# --- edits and deletion -------------------------------------------------------------------------------------------


def test_the_author_edits_within_fifteen_minutes(ctx, proposal):
    author = make_user()
    start = clock.utcnow()
    with at(start):
        comment = post(author, proposal, "Premier jet")
    with at(start + timedelta(minutes=14, seconds=59)):
        services.edit_comment(author, comment, "Version *corrigée*", Stance.AGAINST)
    assert comment.body == "Version *corrigée*" and "<em>corrigée</em>" in comment.body_html
    assert comment.stance == Stance.AGAINST and comment.edited_at is not None
    with at(start + timedelta(minutes=15, seconds=1)), pytest.raises(NotAllowed):
        services.edit_comment(author, comment, "Trop tard", Stance.FOR)
    assert comment.body == "Version *corrigée*"


def test_nobody_else_edits_or_deletes_a_comment(ctx, proposal):
    comment = post(make_user(), proposal)
    for role in Role:
        intruder = make_user(role)
        with pytest.raises(NotAllowed):
            services.edit_comment(intruder, comment, "Changé par un autre", Stance.AGAINST)
        with pytest.raises(NotAllowed):
            services.delete_comment(intruder, comment)
    assert comment.deleted_at is None and comment.body == "Une bonne idée pour le quartier."


def test_editing_in_a_forbidden_word_holds_the_comment(ctx, proposal):
    ctx.session.add(ForbiddenWord(word="arnaque"))
    author = make_user()
    comment = post(author, proposal)
    assert proposal.comments_count == 1
    services.edit_comment(author, comment, "En fait une arnaque", Stance.AGAINST)
    assert comment.visibility == Visibility.PENDING and proposal.comments_count == 0


def test_edit_checks_length_and_duplicates(ctx, proposal):
    author = make_user()
    post(author, proposal, "Déjà dit")
    comment = post(author, proposal, "Autre chose")
    with pytest.raises(ServiceError):
        services.edit_comment(author, comment, "x", Stance.FOR)
    with pytest.raises(ServiceError):
        services.edit_comment(author, comment, "Déjà dit", Stance.FOR)
    services.edit_comment(author, comment, "Autre chose", Stance.NEUTRAL)  # same text, new stance: fine
    assert comment.stance == Stance.NEUTRAL


def test_delete_leaves_a_placeholder_and_keeps_replies(ctx, proposal):
    author, other = make_user(), make_user()
    root = post(author, proposal, "Mon avis")
    reply = post(other, proposal, "Ma réponse", parent=root)
    assert proposal.comments_count == 2
    services.delete_comment(author, root)
    assert root.deleted_at is not None and root.body == "" and root.body_html == ""
    assert proposal.comments_count == 1
    assert ctx.session.get(Comment, reply.id).parent_id == root.id
    with pytest.raises(NotAllowed):
        services.delete_comment(author, root)  # once is enough
    assert proposal.comments_count == 1


def test_deleting_an_official_answer_is_audited(ctx, proposal):
    official = make_user(Role.OFFICIAL)
    answer = post(official, proposal, official=True)
    services.delete_comment(official, answer)
    assert ctx.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "comment.official_answer_deleted"))


# --- useful marks -------------------------------------------------------------------------------------------------


def test_useful_once_per_person_and_withdrawable(ctx, proposal):
    author, reader, other = make_user(), make_user(), make_user()
    comment = post(author, proposal)
    assert services.mark_useful(reader, comment) is True
    assert services.mark_useful(reader, comment) is False
    assert services.mark_useful(other, comment) is True
    assert comment.useful_count == 2
    assert services.unmark_useful(reader, comment) is True
    assert services.unmark_useful(reader, comment) is False
    assert comment.useful_count == 1
    assert count(ctx, CommentUseful) == 1


def test_no_useful_mark_on_ones_own_deleted_or_hidden_comment(ctx, proposal):
    author, reader = make_user(), make_user()
    comment = post(author, proposal)
    with pytest.raises(NotAllowed):
        services.mark_useful(author, comment)
    comment.visibility = Visibility.HIDDEN
    with pytest.raises(NotAllowed):
        services.mark_useful(reader, comment)
    comment.visibility = Visibility.VISIBLE
    services.delete_comment(author, comment)
    with pytest.raises(NotAllowed):
        services.mark_useful(reader, comment)
    assert comment.useful_count == 0


def test_useful_marks_follow_the_comment_phase(ctx):
    proposal = make_proposal(make_cycle(PhaseKind.VOTING))
    comment = post(make_user(), proposal)
    reader = make_user()
    services.mark_useful(reader, comment)
    with at(clock.utcnow() + timedelta(days=31)), pytest.raises(NotAllowed):  # results now
        services.unmark_useful(reader, comment)
    assert comment.useful_count == 1


# --- notifications ------------------------------------------------------------------------------------------------


def test_followers_and_the_answered_author_are_notified_once(ctx, proposal):
    author, follower_email, follower_app, answered, replier = (
        make_user(email=f"n{i}@example.org", locale="en") for i in range(5)
    )
    for user, by_email in ((follower_email, True), (follower_app, False), (author, False)):
        ctx.session.add(Follow(proposal_id=proposal.id, user_id=user.id, by_email=by_email))
    root = post(answered, proposal, "Je réponds à la question")
    ctx.session.add(Follow(proposal_id=proposal.id, user_id=replier.id, by_email=True))
    post(replier, proposal, "Et moi je réponds", parent=root)

    def notes(user):
        return ctx.session.scalars(select(Notification.message).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)).all()

    # The answered author does not follow: a reply notification, in-app only.
    assert notes(answered) == [f"{replier.display_name} answered your comment on “Des bancs place du Concert”."]
    assert not ctx.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == answered.email)).all()
    # Followers hear of both comments; the ones who chose email get emails; nobody hears of their own comment.
    assert len(notes(follower_email)) == 2 and len(notes(follower_app)) == 2 and len(notes(author)) == 2
    assert notes(replier) == []
    mails = ctx.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == follower_email.email)).all()
    assert len(mails) == 2 and f"/proposals/{proposal.id}" in mails[0].body
    assert ctx.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == follower_app.email)).all() == []


def test_an_answered_author_who_follows_is_told_only_once(ctx, proposal):
    answered, replier = make_user(), make_user()
    ctx.session.add(Follow(proposal_id=proposal.id, user_id=answered.id))
    root = post(answered, proposal)
    post(replier, proposal, "Réponse", parent=root)
    assert count(ctx, Notification, Notification.user_id == answered.id) == 1


def test_a_reply_to_ones_own_comment_notifies_nobody_extra(ctx, proposal):
    author = make_user()
    root = post(author, proposal)
    post(author, proposal, "Je complète", parent=root)
    assert count(ctx, Notification, Notification.user_id == author.id) == 0


# --- reading ------------------------------------------------------------------------------------------------------


def make_comment(proposal, author, body="Texte", stance=Stance.NEUTRAL, parent=None, **values):
    from app.extensions import db

    return stored(db, proposal, author, body, stance, parent, **values)


def test_thread_balance_filters_sorts_and_pages(ctx, proposal):
    users = [make_user() for _ in range(3)]
    roots = [make_comment(proposal, users[i % 3], f"Racine {i}", [Stance.FOR, Stance.AGAINST, Stance.NEUTRAL][i % 3],
                          useful_count=i % 5) for i in range(25)]
    make_comment(proposal, users[0], "Réponse", Stance.AGAINST, parent=roots[0])
    make_comment(proposal, users[1], "Supprimée", Stance.FOR, parent=roots[0], deleted_at=clock.utcnow())
    make_comment(proposal, users[1], "Cachée", Stance.FOR, visibility=Visibility.HIDDEN, moderation_reason="spam")
    make_comment(proposal, users[2], "En attente", Stance.FOR, visibility=Visibility.PENDING)
    thread = services.load_thread(proposal, None)
    # The balance counts what everyone reads: not deleted, hidden or pending comments.
    assert thread.balance == {Stance.FOR: 9, Stance.AGAINST: 9, Stance.NEUTRAL: 8}
    # 25 roots plus the hidden one (shown as a placeholder) = 26 listed, 20 per page.
    assert thread.page.total == 26 and thread.page.pages == 2 and len(thread.roots) == 20
    assert [n.comment.id for n in thread.roots] == sorted(n.comment.id for n in thread.roots)
    first = thread.roots[0]
    assert first.comment.id == roots[0].id and [c.comment.body for c in first.children] == ["Réponse", "Supprimée"]
    assert first.children[1].comment.deleted_at is not None and first.reply_total == 2
    second = services.load_thread(proposal, None, page=2)
    assert len(second.roots) == 6
    newest = services.load_thread(proposal, None, sort="newest")
    assert newest.roots[0].comment.body == "Cachée"
    useful = services.load_thread(proposal, None, sort="useful")
    assert [n.comment.useful_count for n in useful.roots[:5]] == [4, 4, 4, 4, 4]
    # Filtered by stance, the list is flat: replies of that stance too, as many as the balance says.
    against = services.load_thread(proposal, None, stance=Stance.AGAINST)
    assert {n.comment.stance for n in against.roots} == {Stance.AGAINST} and against.page.total == 9
    assert "Réponse" in [n.comment.body for n in against.roots] and all(not n.children for n in against.roots)
    # Placeholders (deleted, hidden) have no public stance: a filtered list leaves them out.
    assert {n.comment.body for n in services.load_thread(proposal, None, stance=Stance.FOR, page=1).roots}.isdisjoint(
        {"Supprimée", "Cachée", "En attente"})
    # The pending comment: its author and moderators see it, nobody else.
    assert "En attente" not in [n.comment.body for n in services.load_thread(proposal, users[0], page=2).roots]
    assert "En attente" in [n.comment.body for n in services.load_thread(proposal, users[2], page=2).roots]
    moderator = make_user(Role.MODERATOR)
    assert "En attente" in [n.comment.body for n in services.load_thread(proposal, moderator, page=2).roots]


def test_official_answers_are_pinned_on_the_first_page(ctx, proposal):
    official = make_user(Role.OFFICIAL)
    make_comment(proposal, make_user(), "Avant")
    answer = make_comment(proposal, official, "Réponse de la ville", is_official=True)
    make_comment(proposal, make_user(), "Question", parent=answer)
    thread = services.load_thread(proposal, None, sort="newest", stance=Stance.FOR)
    assert [n.comment.id for n in thread.pinned] == [answer.id]
    assert [c.comment.body for c in thread.pinned[0].children] == ["Question"]
    assert answer.id not in [n.comment.id for n in thread.roots]


def test_replies_are_capped_per_root_with_a_total(ctx, proposal):
    root = make_comment(proposal, make_user(), "Racine")
    for i in range(services.REPLIES_PER_ROOT + 5):
        make_comment(proposal, make_user(), f"Réponse {i}", parent=root)
    node = services.load_thread(proposal, None).roots[0]
    assert len(node.children) == services.REPLIES_PER_ROOT and node.reply_total == services.REPLIES_PER_ROOT + 5
    assert node.more_replies
    conversation = services.load_conversation(proposal, root, None)
    assert len(conversation.root.children) == services.REPLIES_PER_ROOT + 5
