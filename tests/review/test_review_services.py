"""The city's review as services: every transition, and every refusal leaving things as they were."""

from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, Notification, OutboxMessage
from app.cycles.models import Envelope, PhaseKind
from app.proposals.models import BallotItem, Coauthor, Follow, Proposal, ProposalStatus, ReasonTemplate, Support
from app.proposals.services import follow
from app.review import services
from tests.factories import make_cycle, make_district, make_proposal, make_user

S = ProposalStatus


def audits(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def notifications(db, user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def history(proposal) -> list[tuple]:
    return [(c.to_status, c.reason) for c in proposal.history]


@pytest.fixture
def city(ctx):
    district = make_district("Wazemmes")
    cycle = make_cycle(PhaseKind.REVIEW, districts=[district])
    official = make_user(Role.OFFICIAL)
    return cycle, district, official


# --- Start review ----------------------------------------------------------------------------------------------------

def test_start_review_puts_a_submitted_proposal_under_review_and_tells_followers(ctx, city):
    cycle, _district, official = city
    proposal = make_proposal(cycle)
    follower = make_user()
    follow(follower, proposal)
    services.start_review(official, proposal)
    assert proposal.status == S.UNDER_REVIEW
    assert history(proposal) == [(S.UNDER_REVIEW, "")]
    assert len(notifications(ctx, follower)) == 1
    assert audits(ctx, "proposal.status_changed")[0].actor_id == official.id


def test_start_review_is_refused_outside_the_review_phase_and_for_other_statuses(ctx, city):
    _cycle, _district, official = city
    submission = make_cycle(PhaseKind.SUBMISSION)
    early = make_proposal(submission)
    with pytest.raises(NotAllowed):
        services.start_review(official, early)
    assert early.status == S.SUBMITTED and early.history == []
    done = make_proposal(city[0], status=S.UNDER_REVIEW)
    with pytest.raises(ServiceError):
        services.start_review(official, done)


@pytest.mark.parametrize("role", [Role.RESIDENT, Role.AGENT, Role.TEACHER, Role.MODERATOR])
def test_only_officials_and_assigned_reviewers_review(ctx, city, role):
    cycle, _district, _official = city
    proposal = make_proposal(cycle)
    with pytest.raises(NotAllowed):
        services.start_review(make_user(role), proposal)
    with pytest.raises(NotAllowed):
        services.mark_feasible(make_user(role), proposal, 100_00, "Titre", "")
    assert proposal.status == S.SUBMITTED


# --- Feasible --------------------------------------------------------------------------------------------------------

def test_mark_feasible_sets_cost_and_ballot_text(ctx, city):
    cycle, district, official = city
    proposal = make_proposal(cycle, district=district, status=S.UNDER_REVIEW, estimated_cost_cents=5_000_00)
    follower = make_user()
    follow(follower, proposal, by_email=True)
    services.mark_feasible(official, proposal, 12_500_00, "  Un abri à vélos  ", "Un abri couvert.")
    assert proposal.status == S.FEASIBLE
    assert (proposal.city_cost_cents, proposal.ballot_title, proposal.ballot_summary) == (
        12_500_00, "Un abri à vélos", "Un abri couvert.")
    assert proposal.estimated_cost_cents == 5_000_00  # the resident's guess stays as it was
    assert history(proposal) == [(S.FEASIBLE, "")]
    assert len(notifications(ctx, follower)) == 1
    assert ctx.session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.recipient == follower.email)) == 1


def test_updating_a_feasible_proposal_changes_values_without_a_new_history_entry(ctx, city):
    cycle, _district, official = city
    proposal = make_proposal(cycle, status=S.UNDER_REVIEW)
    services.mark_feasible(official, proposal, 100_00, "Titre", "")
    services.mark_feasible(official, proposal, 200_00, "Autre titre", "Résumé")
    assert proposal.city_cost_cents == 200_00 and proposal.ballot_title == "Autre titre"
    assert len(proposal.history) == 1
    [entry] = audits(ctx, "proposal.review_updated")
    assert '"city_cost_cents": 20000' in entry.details


@pytest.mark.parametrize(
    ("cost", "title", "summary", "field"),
    [
        (None, "Titre", "", "city_cost"),
        (0, "Titre", "", "city_cost"),
        (-5, "Titre", "", "city_cost"),
        (services.MAX_COST_CENTS + 1, "Titre", "", "city_cost"),
        (100_00, "   ", "", "ballot_title"),
        (100_00, "T" * 151, "", "ballot_title"),
        (100_00, "Titre", "S" * 501, "ballot_summary"),
    ],
)
def test_mark_feasible_refuses_missing_or_bad_values(ctx, city, cost, title, summary, field):
    cycle, _district, official = city
    proposal = make_proposal(cycle, status=S.UNDER_REVIEW)
    with pytest.raises(ServiceError) as error:
        services.mark_feasible(official, proposal, cost, title, summary)
    assert error.value.field == field
    assert proposal.status == S.UNDER_REVIEW and proposal.city_cost_cents is None and proposal.history == []


def test_mark_feasible_is_refused_outside_the_review_phase(ctx, city):
    official = city[2]
    for phase in (PhaseKind.SUBMISSION, PhaseKind.VOTING, PhaseKind.RESULTS):
        proposal = make_proposal(make_cycle(phase), status=S.UNDER_REVIEW)
        with pytest.raises(NotAllowed):
            services.mark_feasible(official, proposal, 100_00, "Titre", "")
        assert proposal.status == S.UNDER_REVIEW and proposal.city_cost_cents is None


def test_below_the_support_threshold_a_proposal_cannot_be_feasible_but_can_be_not_feasible(ctx, city):
    official = city[2]
    cycle = make_cycle(PhaseKind.REVIEW, support_threshold=10)
    weak = make_proposal(cycle, supports_count=9)
    with pytest.raises(ServiceError) as error:
        services.mark_feasible(official, weak, 100_00, "Titre", "")
    assert "fewer than the 10" in str(error.value.message)
    assert weak.status == S.SUBMITTED
    services.mark_not_feasible(official, weak, "Pas assez de soutiens.")
    assert weak.status == S.NOT_FEASIBLE
    strong = make_proposal(cycle, supports_count=10)
    services.mark_feasible(official, strong, 100_00, "Titre", "")
    assert strong.status == S.FEASIBLE


def test_ballot_defaults_are_the_title_and_an_excerpt(ctx, city):
    proposal = make_proposal(city[0], title="Des bancs", body="**Des bancs** place du marché. " * 30)
    title, summary = services.ballot_defaults(proposal)
    assert title == "Des bancs"
    assert summary.startswith("Des bancs place du marché.") and len(summary) <= services.EXCERPT_LENGTH
    assert "*" not in summary


# --- Not feasible ----------------------------------------------------------------------------------------------------

def test_not_feasible_with_a_template_and_free_text(ctx, city):
    cycle, _district, official = city
    template = ReasonTemplate(text_fr="Hors des compétences de la ville.", text_en="Not the city's job.")
    ctx.session.add(template)
    proposal = make_proposal(cycle, status=S.UNDER_REVIEW)
    author_follow = follow(proposal.author, proposal)
    assert author_follow is not None
    services.mark_not_feasible(official, proposal, "La métropole s'en occupe.", template)
    expected = "Hors des compétences de la ville.\n\nLa métropole s'en occupe."
    assert proposal.status == S.NOT_FEASIBLE and proposal.public_reason == expected
    assert history(proposal) == [(S.NOT_FEASIBLE, expected)]
    [note] = notifications(ctx, proposal.author)
    assert "La métropole s'en occupe." in note.message


def test_not_feasible_with_only_a_template_or_only_text(ctx, city):
    cycle, _district, official = city
    template = ReasonTemplate(text_fr="Trop coûteux.")
    ctx.session.add(template)
    first, second = make_proposal(cycle), make_proposal(cycle, status=S.FEASIBLE, city_cost_cents=100)
    services.mark_not_feasible(official, first, "", template)
    services.mark_not_feasible(official, second, "Le terrain n'appartient pas à la ville.")
    assert first.public_reason == "Trop coûteux."
    assert second.public_reason == "Le terrain n'appartient pas à la ville." and second.status == S.NOT_FEASIBLE


@pytest.mark.parametrize("reason", ["", "   ", "x" * (services.REASON_MAX + 1)])
def test_not_feasible_needs_a_reason(ctx, city, reason):
    cycle, _district, official = city
    proposal = make_proposal(cycle, status=S.UNDER_REVIEW)
    with pytest.raises(ServiceError) as error:
        services.mark_not_feasible(official, proposal, reason)
    assert error.value.field == "reason"
    assert proposal.status == S.UNDER_REVIEW and proposal.public_reason == ""


def test_decisions_are_refused_on_withdrawn_or_merged_proposals(ctx, city):
    cycle, _district, official = city
    for status in (S.WITHDRAWN, S.MERGED, S.SELECTED):
        proposal = make_proposal(cycle, status=status)
        with pytest.raises(ServiceError):
            services.mark_feasible(official, proposal, 100, "T", "")
        with pytest.raises(ServiceError):
            services.mark_not_feasible(official, proposal, "Non.")
        assert proposal.status == status


# --- Staff notes and reviewers ---------------------------------------------------------------------------------------

def test_staff_notes_can_be_edited_in_any_phase(ctx, city):
    official = city[2]
    proposal = make_proposal(make_cycle(PhaseKind.VOTING), status=S.FEASIBLE)
    services.set_staff_notes(official, proposal, "  Voir avec la voirie.  ")
    assert proposal.staff_notes == "Voir avec la voirie."
    assert proposal.history == []  # notes are not public: no history entry
    assert len(audits(ctx, "proposal.staff_notes_changed")) == 1
    with pytest.raises(ServiceError):
        services.set_staff_notes(official, proposal, "x" * (services.NOTES_MAX + 1))
    with pytest.raises(NotAllowed):
        services.set_staff_notes(make_user(Role.RESIDENT), proposal, "pirate")
    assert proposal.staff_notes == "Voir avec la voirie."


def test_assigned_reviewer_reviews_their_proposal_only(ctx, city):
    cycle, _district, official = city
    moderator = make_user(Role.MODERATOR, locale="en")
    mine, other = make_proposal(cycle), make_proposal(cycle)
    services.assign_reviewer(official, mine, moderator)
    assert mine.reviewer_id == moderator.id
    assert len(audits(ctx, "proposal.reviewer_assigned")) == 1
    assert "review" in notifications(ctx, moderator)[0].message
    services.start_review(moderator, mine)
    services.mark_feasible(moderator, mine, 300_00, "Titre", "")
    services.set_staff_notes(moderator, mine, "ok")
    assert mine.status == S.FEASIBLE
    with pytest.raises(NotAllowed):
        services.start_review(moderator, other)
    with pytest.raises(NotAllowed):
        services.set_staff_notes(moderator, other, "non")
    services.assign_reviewer(official, mine, None)
    with pytest.raises(NotAllowed):
        services.set_staff_notes(moderator, mine, "plus maintenant")


def test_reviewers_are_officials_or_moderators_assigned_by_an_official(ctx, city):
    cycle, _district, official = city
    proposal = make_proposal(cycle)
    for role in (Role.RESIDENT, Role.AGENT, Role.TEACHER):
        with pytest.raises(ServiceError):
            services.assign_reviewer(official, proposal, make_user(role))
    with pytest.raises(NotAllowed):
        services.assign_reviewer(make_user(Role.MODERATOR), proposal, official)
    assert proposal.reviewer_id is None


def test_an_assigned_reviewer_who_loses_the_role_loses_the_right(ctx, city):
    cycle, _district, official = city
    moderator = make_user(Role.MODERATOR)
    proposal = make_proposal(cycle)
    services.assign_reviewer(official, proposal, moderator)
    moderator.role = Role.RESIDENT
    with pytest.raises(NotAllowed):
        services.start_review(moderator, proposal)


# --- Merging ---------------------------------------------------------------------------------------------------------

def test_merge_moves_people_to_the_target_and_tells_them(ctx, city):
    cycle, district, official = city
    target = make_proposal(cycle, district=district, title="Une piste cyclable rue Gambetta")
    duplicate = make_proposal(cycle, district=district, title="Piste vélo Gambetta")
    follow(duplicate.author, duplicate)
    email_follower, supporter, both = make_user(), make_user(), make_user()
    follow(email_follower, duplicate, by_email=True)
    follow(both, duplicate)
    for user in (supporter, both):
        ctx.session.add(Support(proposal_id=duplicate.id, user_id=user.id))
    ctx.session.flush()

    services.merge(official, target, [duplicate])

    assert duplicate.status == S.MERGED and duplicate.merged_into_id == target.id
    [(status, reason)] = history(duplicate)
    assert status == S.MERGED and f"/proposals/{target.id}" in reason and target.title in reason
    assert ctx.session.scalar(select(Coauthor.user_id).where(Coauthor.proposal_id == target.id)) == \
        duplicate.author_id
    follows = dict(ctx.session.execute(select(Follow.user_id, Follow.by_email)
                                       .where(Follow.proposal_id == target.id)).all())
    assert follows == {duplicate.author_id: False, email_follower.id: True, supporter.id: False, both.id: False}
    # Supports are not moved: the target's count is its own.
    assert target.supports_count == 0
    assert ctx.session.scalar(select(func.count()).select_from(Support)
                              .where(Support.proposal_id == target.id)) == 0
    for user in (duplicate.author, email_follower, supporter, both):
        assert len(notifications(ctx, user)) == 1, user
    assert ctx.session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.recipient == email_follower.email)) == 1
    [entry] = audits(ctx, "proposal.merged")
    assert entry.target_id == str(target.id) and f"[{duplicate.id}]" in entry.details


def test_merge_keeps_a_target_follower_s_email_choice(ctx, city):
    cycle, _district, official = city
    target, duplicate = make_proposal(cycle), make_proposal(cycle)
    person = make_user()
    follow(person, target, by_email=True)
    follow(person, duplicate, by_email=False)
    services.merge(official, target, [duplicate])
    assert ctx.session.scalar(select(Follow.by_email).where(Follow.proposal_id == target.id,
                                                            Follow.user_id == person.id)) is True


def test_merge_several_duplicates_at_once(ctx, city):
    cycle, _district, official = city
    target = make_proposal(cycle)
    duplicates = [make_proposal(cycle), make_proposal(cycle, status=S.UNDER_REVIEW)]
    services.merge(official, target, duplicates)
    assert [d.status for d in duplicates] == [S.MERGED, S.MERGED]
    assert ctx.session.scalar(select(func.count()).select_from(Coauthor)
                              .where(Coauthor.proposal_id == target.id)) == 2


def test_merge_refusals(ctx, city):
    cycle, _district, official = city
    target, duplicate, third = make_proposal(cycle), make_proposal(cycle), make_proposal(cycle)
    elsewhere = make_proposal(make_cycle(PhaseKind.REVIEW))
    cases = [
        ([target], "itself"),
        ([elsewhere], "another cycle"),
        ([], "at least one"),
        ([duplicate, duplicate], "twice"),
    ]
    for duplicates, words in cases:
        with pytest.raises(ServiceError) as error:
            services.merge(official, target, duplicates)
        assert words in str(error.value.message), words
    services.merge(official, target, [duplicate])
    # A loop: the target cannot now be merged into what was merged into it, nor receive it again.
    with pytest.raises(ServiceError) as error:
        services.merge(official, duplicate, [target])
    assert "has itself been merged" in str(error.value.message)
    with pytest.raises(ServiceError) as error:
        services.merge(official, third, [duplicate])
    assert "already been merged" in str(error.value.message)
    assert target.status == S.SUBMITTED and third.status == S.SUBMITTED and elsewhere.status == S.SUBMITTED


def test_merge_loop_through_corrupt_data_is_refused(ctx, city):
    """Even if data says the target already points into the duplicate, merging cannot close a loop."""
    cycle, _district, official = city
    target, duplicate = make_proposal(cycle), make_proposal(cycle)
    target.merged_into = duplicate
    ctx.session.flush()
    with pytest.raises(ServiceError):
        services.merge(official, target, [duplicate])
    assert duplicate.merged_into_id is None


def test_merge_is_refused_by_phase_status_role_and_freeze(ctx, city):
    cycle, _district, official = city
    voting = make_cycle(PhaseKind.VOTING)
    with pytest.raises(NotAllowed):
        services.merge(official, make_proposal(voting), [make_proposal(voting)])
    # Merging is open in submission too.
    submission = make_cycle(PhaseKind.SUBMISSION)
    services.merge(official, make_proposal(submission), [make_proposal(submission)])
    with pytest.raises(NotAllowed):
        services.merge(make_user(Role.MODERATOR), make_proposal(cycle), [make_proposal(cycle)])
    with pytest.raises(ServiceError):
        services.merge(official, make_proposal(cycle, status=S.NOT_FEASIBLE), [make_proposal(cycle)])
    with pytest.raises(ServiceError):
        services.merge(official, make_proposal(cycle), [make_proposal(cycle, status=S.WITHDRAWN)])
    cycle.ballot_frozen_at = clock.utcnow()
    target, duplicate = make_proposal(cycle), make_proposal(cycle)
    with pytest.raises(NotAllowed) as error:
        services.merge(official, target, [duplicate])
    assert "frozen" in str(error.value.message)
    assert duplicate.status == S.SUBMITTED


# --- Reason templates ------------------------------------------------------------------------------------------------

def test_reason_templates_crud_is_audited_and_official_only(ctx, city):
    official = city[2]
    template = services.save_reason_template(official, {"text_fr": " Trop cher. ", "text_en": "Too expensive."})
    assert (template.text_fr, template.text_en, template.text_nl) == ("Trop cher.", "Too expensive.", "")
    services.save_reason_template(official, {"text_fr": "Beaucoup trop cher."}, template)
    assert template.text_fr == "Beaucoup trop cher." and template.text_en == ""
    with pytest.raises(ServiceError):
        services.save_reason_template(official, {"text_fr": "  "})
    with pytest.raises(NotAllowed):
        services.save_reason_template(make_user(Role.MODERATOR), {"text_fr": "Non."})
    services.delete_reason_template(official, template)
    assert services.reason_templates() == []
    assert [len(audits(ctx, f"reason_template.{a}")) for a in ("created", "updated", "deleted")] == [1, 1, 1]


def test_reason_text_falls_back_to_french(ctx, city):
    template = ReasonTemplate(text_fr="Trop cher.", text_en="Too expensive.")
    assert services.reason_text(template, "en") == "Too expensive."
    assert services.reason_text(template, "nl") == "Trop cher."
    assert services.reason_text(template) == "Trop cher."  # the city's default language is published


# --- Voting readiness and freeze -------------------------------------------------------------------------------------

def test_voting_readiness_lists_what_is_missing(ctx):
    north, south, quiet = make_district("Nord"), make_district("Sud"), make_district("Calme")
    cycle = make_cycle(PhaseKind.REVIEW, districts=[north, south, quiet], citywide_cents=10_000_00)
    ctx.session.execute(Envelope.__table__.update().where(Envelope.district_id == quiet.id).values(has_voting=False))
    ctx.session.expire(cycle)
    problems = services.voting_readiness(cycle)
    assert problems == ["No feasible project yet for the district Nord.",
                        "No feasible project yet for the district Sud.",
                        "No feasible city-wide project yet."]
    make_proposal(cycle, district=north, status=S.FEASIBLE, city_cost_cents=100_00)
    make_proposal(cycle, district=south, status=S.FEASIBLE, title="Sans coût")
    make_proposal(cycle, district=None, status=S.UNDER_REVIEW)
    assert services.voting_readiness(cycle) == [
        "No feasible city-wide project yet.",
        "1 feasible project has no cost set by the city: “Sans coût”.",
    ]
    make_proposal(cycle, district=None, status=S.FEASIBLE, city_cost_cents=5)
    south_project = ctx.session.scalar(select(Proposal).where(Proposal.title == "Sans coût"))
    south_project.city_cost_cents = 200_00
    assert services.voting_readiness(cycle) == []


def test_voting_readiness_without_a_citywide_envelope(ctx):
    district = make_district()
    cycle = make_cycle(PhaseKind.REVIEW, districts=[district], citywide_cents=None)
    make_proposal(cycle, district=district, status=S.FEASIBLE, city_cost_cents=1_00)
    assert services.voting_readiness(cycle) == []


def _ready_cycle(phase=PhaseKind.REVIEW):
    district = make_district()
    cycle = make_cycle(phase, districts=[district], citywide_cents=None)
    local = make_proposal(cycle, district=district, status=S.FEASIBLE, city_cost_cents=1_000_00,
                          ballot_title="Titre du bulletin", ballot_summary="Résumé.")
    plain = make_proposal(cycle, district=district, status=S.FEASIBLE, city_cost_cents=2_000_00, title="Brut")
    make_proposal(cycle, district=district, status=S.NOT_FEASIBLE)
    return cycle, local, plain


def test_freeze_ballot_copies_feasible_projects_once(ctx, city):
    official = city[2]
    cycle, local, plain = _ready_cycle()
    assert services.freeze_ballot(official, cycle) is True
    assert cycle.ballot_frozen_at is not None
    items = services.ballot_items(cycle)
    assert [(i.proposal_id, i.title, i.summary, i.cost_cents, i.district_id) for i in items] == [
        (local.id, "Titre du bulletin", "Résumé.", 1_000_00, local.district_id),
        (plain.id, "Brut", "", 2_000_00, plain.district_id),
    ]
    frozen_at = cycle.ballot_frozen_at
    assert services.freeze_ballot(official, cycle) is False
    assert cycle.ballot_frozen_at == frozen_at
    assert ctx.session.scalar(select(func.count()).select_from(BallotItem)) == 2
    assert len(audits(ctx, "cycle.ballot_frozen")) == 1


def test_after_the_freeze_ballot_changes_are_refused(ctx, city):
    official = city[2]
    cycle, local, _plain = _ready_cycle()
    waiting = make_proposal(cycle, status=S.UNDER_REVIEW)
    services.freeze_ballot(official, cycle)
    refusals = [
        lambda: services.mark_feasible(official, local, 1, "Autre", ""),
        lambda: services.mark_feasible(official, waiting, 1, "Nouveau", ""),
        lambda: services.mark_not_feasible(official, local, "Finalement non."),
        lambda: services.merge(official, local, [waiting]),
    ]
    for refusal in refusals:
        with pytest.raises(NotAllowed) as error:
            refusal()
        assert "frozen" in str(error.value.message)
    assert (local.status, local.city_cost_cents, local.ballot_title) == (S.FEASIBLE, 1_000_00, "Titre du bulletin")
    services.set_staff_notes(official, local, "Toujours modifiable.")  # notes do not change the ballot
    assert local.staff_notes == "Toujours modifiable."
    services.mark_not_feasible(official, waiting, "Trop tard pour ce cycle.")  # not on the ballot: can be closed
    assert waiting.status == S.NOT_FEASIBLE and len(services.ballot_items(cycle)) == 2


def test_freeze_refuses_a_feasible_project_without_cost(ctx, city):
    official = city[2]
    cycle, _local, _plain = _ready_cycle()
    make_proposal(cycle, status=S.FEASIBLE, title="Sans coût")
    with pytest.raises(services.BallotNotReady) as error:
        services.freeze_ballot(official, cycle)
    assert any("Sans coût" in p for p in error.value.problems)
    assert cycle.ballot_frozen_at is None and services.ballot_items(cycle) == []


def test_freeze_when_ready_checks_role_phase_and_readiness(ctx, city):
    official = city[2]
    with pytest.raises(NotAllowed):
        services.freeze_when_ready(make_user(Role.MODERATOR), _ready_cycle()[0])
    submission, _l, _p = _ready_cycle(PhaseKind.SUBMISSION)
    with pytest.raises(NotAllowed):
        services.freeze_when_ready(official, submission)
    empty = make_cycle(PhaseKind.REVIEW, districts=[make_district()])
    with pytest.raises(services.BallotNotReady) as error:
        services.freeze_when_ready(official, empty)
    assert len(error.value.problems) == 2
    assert submission.ballot_frozen_at is None and empty.ballot_frozen_at is None
    ready, _l, _p = _ready_cycle(PhaseKind.VOTING)
    assert services.freeze_when_ready(official, ready) is True
    assert services.freeze_when_ready(official, ready) is False


def test_freeze_due_ballots_freezes_cycles_in_voting_only(ctx, city):
    voting, _l, _p = _ready_cycle(PhaseKind.VOTING)
    review, _l2, _p2 = _ready_cycle(PhaseKind.REVIEW)
    broken = make_cycle(PhaseKind.VOTING, citywide_cents=None)
    make_proposal(broken, status=S.FEASIBLE)  # no cost: cannot be frozen, left for an official to fix
    assert services.freeze_due_ballots() == [voting]
    assert voting.ballot_frozen_at is not None and review.ballot_frozen_at is None
    assert broken.ballot_frozen_at is None
    assert services.freeze_due_ballots() == []
    assert len(services.ballot_items(voting)) == 2
    [entry] = audits(ctx, "cycle.ballot_frozen")
    assert entry.actor_id is None and entry.channel == "worker"
    # When voting opens for the review cycle, the next worker run freezes it.
    later = clock.utcnow() + timedelta(days=30)
    with mock.patch.object(clock, "_now", return_value=later):
        assert review in services.freeze_due_ballots()
    assert len(services.ballot_items(review)) == 2


# --- Dashboard helpers -----------------------------------------------------------------------------------------------

def test_counts_per_status_and_district(ctx, city):
    cycle, district, _official = city
    make_proposal(cycle, district=district)
    make_proposal(cycle, district=district, status=S.FEASIBLE, city_cost_cents=1)
    make_proposal(cycle, status=S.MERGED)
    make_proposal(cycle, status=S.DRAFT)
    assert services.status_counts(cycle) == {S.SUBMITTED: 1, S.FEASIBLE: 1, S.MERGED: 1}
    rows = {row["name"]: row for row in services.district_counts(cycle)}
    assert rows["Wazemmes"]["total"] == 2 and rows["Wazemmes"]["waiting"] == 1 and rows["Wazemmes"]["feasible"] == 1
    assert rows[None]["merged"] == 1 and rows[None]["envelope_cents"] == cycle.citywide_envelope_cents
