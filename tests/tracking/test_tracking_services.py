"""Tracking services: opening, status transitions and the proposal status that follows, bounds, money, updates,
photos and who is told."""

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core.clock import local_now
from app.core.errors import NotAllowed, ServiceError
from app.core.forms import EurosField
from app.core.models import AuditEntry, Notification, OutboxMessage
from app.cycles.models import PhaseKind
from app.proposals.models import Coauthor, Follow, ProposalStatus, StatusChange
from app.tracking import services
from app.tracking.models import ProjectStatus, ProjectTracking, TrackingPhoto, TrackingUpdate
from app.tracking.services import PhotoUpload
from tests.factories import make_cycle, make_proposal, make_user


@pytest.fixture
def ctx(app, db):
    """Services build links to proposal pages: run them inside a request context, as the views do."""
    with app.test_request_context("/"):
        yield db


def png(size=(40, 30)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", size, (20, 120, 60)).save(out, "PNG")
    out.seek(0)
    return out


def selected(phase=PhaseKind.IMPLEMENTATION, status=ProposalStatus.SELECTED, cost=1_500_000, **values):
    cycle = make_cycle(phase)
    return make_proposal(cycle, status=status, city_cost_cents=cost, **values)


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def change(official, tracking, **values):
    base = {"status": tracking.status, "progress": tracking.progress,
            "planned_budget_cents": tracking.planned_budget_cents, "spent_cents": tracking.spent_cents,
            "cancel_reason": tracking.cancel_reason}
    base.update(values)
    return services.update_tracking(official, tracking, **base)


# --- opening ----------------------------------------------------------------------------------------------------


def test_open_tracking_starts_planned_with_the_city_cost_and_is_audited(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    proposal = selected(cost=2_345_600)
    tracking = services.open_tracking(official, proposal)
    assert (tracking.status, tracking.progress, tracking.planned_budget_cents, tracking.spent_cents) == (
        ProjectStatus.PLANNED, 0, 2_345_600, 0)
    assert services.open_tracking(official, proposal) is tracking  # opening twice changes nothing
    assert count(db, ProjectTracking) == 1
    assert audit_actions(db) == ["tracking.opened"]
    assert proposal.status == ProposalStatus.SELECTED


def test_open_tracking_without_a_city_cost_plans_zero(ctx):
    tracking = services.open_tracking(make_user(Role.OFFICIAL), selected(cost=None))
    assert tracking.planned_budget_cents == 0


@pytest.mark.parametrize(("proposal_status", "expected", "progress"), [
    (ProposalStatus.IN_PROGRESS, ProjectStatus.IN_PROGRESS, 0),
    (ProposalStatus.DONE, ProjectStatus.DONE, 100),
])
def test_open_tracking_of_a_project_already_under_way_mirrors_its_status(ctx, proposal_status, expected, progress):
    tracking = services.open_tracking(make_user(Role.OFFICIAL), selected(status=proposal_status))
    assert (tracking.status, tracking.progress) == (expected, progress)


@pytest.mark.parametrize("status", [s for s in ProposalStatus if s not in services.TRACKABLE])
def test_only_selected_projects_can_be_tracked(ctx, status):
    db = ctx
    with pytest.raises(NotAllowed):
        services.open_tracking(make_user(Role.OFFICIAL), selected(status=status))
    assert count(db, ProjectTracking) == 0


@pytest.mark.parametrize("phase", [PhaseKind.SUBMISSION, PhaseKind.REVIEW, PhaseKind.VOTING])
def test_tracking_waits_for_the_results(ctx, phase):
    with pytest.raises(NotAllowed):
        services.open_tracking(make_user(Role.OFFICIAL), selected(phase=phase))


@pytest.mark.parametrize("phase", [PhaseKind.RESULTS, PhaseKind.IMPLEMENTATION, PhaseKind.CLOSED])
def test_tracking_is_open_from_results_on(ctx, phase):
    assert services.open_tracking(make_user(Role.OFFICIAL), selected(phase=phase)).id


# --- status transitions -----------------------------------------------------------------------------------------


def test_status_transitions_move_the_proposal_along_with_public_history(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    proposal = selected()
    tracking = services.open_tracking(official, proposal)

    change(official, tracking, status=ProjectStatus.IN_PROGRESS, progress=30)
    assert proposal.status == ProposalStatus.IN_PROGRESS
    change(official, tracking, status=ProjectStatus.DONE, progress=60)
    assert proposal.status == ProposalStatus.DONE
    assert tracking.progress == 100  # done means done
    change(official, tracking, status=ProjectStatus.PLANNED, progress=0)  # a correction goes back
    assert proposal.status == ProposalStatus.SELECTED

    history = db.session.scalars(select(StatusChange.to_status).where(StatusChange.proposal_id == proposal.id)
                                 .order_by(StatusChange.id)).all()
    assert history == [ProposalStatus.IN_PROGRESS, ProposalStatus.DONE, ProposalStatus.SELECTED]


def test_progress_alone_does_not_touch_the_proposal_history(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    change(official, tracking, progress=40)
    assert tracking.progress == 40 and tracking.status == ProjectStatus.PLANNED
    assert count(db, StatusChange) == 0


def test_cancelling_needs_a_public_reason(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected(status=ProposalStatus.IN_PROGRESS))
    for reason in ("", "   "):
        with pytest.raises(ServiceError) as error:
            change(official, tracking, status=ProjectStatus.CANCELLED, cancel_reason=reason)
        assert error.value.field == "cancel_reason"
    assert tracking.status == ProjectStatus.IN_PROGRESS  # refused before anything changed
    assert count(db, StatusChange) == 0

    change(official, tracking, status=ProjectStatus.CANCELLED, cancel_reason="  Le terrain a été vendu.  ")
    assert tracking.status == ProjectStatus.CANCELLED
    assert tracking.cancel_reason == "Le terrain a été vendu."
    # The proposal is no longer "being carried out": it stays selected by the vote, the reason in its history.
    assert tracking.proposal.status == ProposalStatus.SELECTED
    last = db.session.scalars(select(StatusChange).order_by(StatusChange.id.desc())).first()
    assert last.reason == "Le terrain a été vendu."

    change(official, tracking, status=ProjectStatus.PLANNED, cancel_reason="ignored when not cancelled")
    assert tracking.cancel_reason == ""


def test_cancel_reason_has_a_length_limit(ctx):
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    with pytest.raises(ServiceError):
        change(official, tracking, status=ProjectStatus.CANCELLED, cancel_reason="x" * (services.REASON_MAX + 1))


@pytest.mark.parametrize("progress", [-1, 101, 1000, None, "50", 12.5, True])
def test_progress_must_be_a_whole_number_from_0_to_100(ctx, progress):
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    with pytest.raises(ServiceError) as error:
        change(official, tracking, progress=progress)
    assert error.value.field == "progress"


@pytest.mark.parametrize("progress", [0, 1, 99, 100])
def test_progress_bounds_are_inclusive(ctx, progress):
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    change(official, tracking, progress=progress)
    assert tracking.progress == progress


@pytest.mark.parametrize(("field", "value"), [("planned_budget_cents", -1), ("spent_cents", -100),
                                              ("spent_cents", 1.5), ("planned_budget_cents", 10**15)])
def test_money_must_be_non_negative_integer_cents(ctx, field, value):
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    with pytest.raises(ServiceError):
        change(official, tracking, **{field: value})


def test_unknown_status_is_refused(ctx):
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    with pytest.raises(ServiceError) as error:
        change(official, tracking, status="abandoned")
    assert error.value.field == "status"


def test_every_change_is_audited_with_before_and_after(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected(cost=100_000))
    changes = change(official, tracking, status=ProjectStatus.IN_PROGRESS, progress=25, spent_cents=40_000)
    assert set(changes) == {"status", "progress", "spent_cents"}
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "tracking.updated")).one()
    details = json.loads(entry.details)
    assert details["progress"] == {"before": 0, "after": 25}
    assert details["status"] == {"before": "planned", "after": "in_progress"}
    assert details["spent_cents"] == {"before": 0, "after": 40_000}
    assert entry.actor_id == official.id and entry.target_type == "project_tracking"
    assert "proposal.status_changed" in audit_actions(db)

    assert change(official, tracking) == {}  # saving the same values records nothing
    assert audit_actions(db).count("tracking.updated") == 1


def test_changes_are_refused_when_the_proposal_is_not_selected_any_more(ctx):
    official = make_user(Role.OFFICIAL)
    proposal = selected()
    tracking = services.open_tracking(official, proposal)
    proposal.status = ProposalStatus.NOT_SELECTED
    with pytest.raises(NotAllowed):
        change(official, tracking, progress=10)


# --- money as typed in the form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "cents"), [
    ("15000", 1_500_000), ("15 000", 1_500_000), ("15\u202f000 €", 1_500_000), ("12,50", 1_250),
    ("12.5", 1_250), ("0", 0), ("1 234 567,89", 123_456_789),
])
def test_amounts_in_euros_become_integer_cents(app, typed, cents):
    with app.test_request_context("/", method="POST", data={"amount": typed}):
        from flask import request
        from flask_wtf import FlaskForm

        class Form(FlaskForm):
            class Meta:
                csrf = False

            amount = EurosField("Amount")

        form = Form(request.form)
        assert form.validate(), form.errors
        assert form.amount.data == cents


@pytest.mark.parametrize("typed", ["-5", "abc", "12,345", "1e3x", "12.505", "NaN", "Infinity"])
def test_bad_amounts_are_refused(app, typed):
    with app.test_request_context("/", method="POST", data={"amount": typed}):
        from flask import request
        from flask_wtf import FlaskForm

        class Form(FlaskForm):
            class Meta:
                csrf = False

            amount = EurosField("Amount")

        form = Form(request.form)
        assert not form.validate()
        assert form.amount.data is None


# --- updates, photos and notifications --------------------------------------------------------------------------


def test_update_renders_markdown_safely_and_keeps_clean_photos(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    update = services.post_update(
        official, tracking, happened_on=local_now().date(), title="  Les travaux commencent  ",
        body="Premier **coup de pioche**.\n\n<script>alert(1)</script>",
        photos=[PhotoUpload(png(), "Une pelleteuse sur la place"), PhotoUpload(png((2000, 1000)), "Le chantier")])
    assert update.title == "Les travaux commencent"
    assert "<strong>coup de pioche</strong>" in update.body_html and "<script" not in update.body_html
    photos = db.session.scalars(select(TrackingPhoto).order_by(TrackingPhoto.id)).all()
    assert [p.alt for p in photos] == ["Une pelleteuse sur la place", "Le chantier"]
    assert photos[1].width == 1600  # re-encoded and scaled down
    assert all(len(p.token) >= 20 and p.content_type in ("image/png", "image/jpeg") for p in photos)
    assert "tracking.update_posted" in audit_actions(db)


@pytest.mark.parametrize(("values", "field"), [
    ({"title": ""}, "title"),
    ({"title": "x" * 151}, "title"),
    ({"body": "x" * (services.BODY_MAX + 1)}, "body"),
    ({"happened_on": None}, "happened_on"),
    ({"future": True}, "happened_on"),
    ({"photos": [PhotoUpload(io.BytesIO(b"GIF89a not really"), "Une image")]}, "photo"),
    ({"photos": [PhotoUpload(io.BytesIO(b"<svg onload=alert(1)>"), "Un dessin")]}, "photo"),
    ({"photos": "no-alt"}, "photo"),
    ({"photos": "too-many"}, "photo"),
])
def test_bad_updates_save_nothing(ctx, values, field):
    db = ctx
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    follower = make_user()
    db.session.add(Follow(proposal_id=tracking.proposal_id, user_id=follower.id))
    db.session.flush()
    arguments = {"happened_on": local_now().date(), "title": "Un titre", "body": "", "photos": []}
    if values.pop("future", False):
        arguments["happened_on"] = local_now().date() + timedelta(days=1)
    if values.get("photos") == "no-alt":
        values["photos"] = [PhotoUpload(png(), "Une photo"), PhotoUpload(png(), "  ")]
    if values.get("photos") == "too-many":
        values["photos"] = [PhotoUpload(png(), f"Photo {n}") for n in range(4)]
    arguments.update(values)
    with pytest.raises(ServiceError) as error:
        services.post_update(official, tracking, **arguments)
    assert error.value.field == field
    assert count(db, TrackingUpdate) == 0 and count(db, TrackingPhoto) == 0
    assert count(db, Notification) == 0


def test_followers_authors_and_coauthors_are_told_of_each_update(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    author = make_user(email="autrice@example.org", locale="en")
    coauthor = make_user(email="coautrice@example.org")
    by_mail = make_user(email="fidele@example.org")
    in_app = make_user(email="curieux@example.org")
    stranger = make_user(email="passant@example.org")
    proposal = selected(author=author, title="Des bancs au parc")
    db.session.add_all([Coauthor(proposal_id=proposal.id, user_id=coauthor.id),
                        Follow(proposal_id=proposal.id, user_id=by_mail.id, by_email=True),
                        Follow(proposal_id=proposal.id, user_id=in_app.id, by_email=False),
                        Follow(proposal_id=proposal.id, user_id=official.id, by_email=True)])
    db.session.flush()
    tracking = services.open_tracking(official, proposal)
    services.post_update(official, tracking, happened_on=local_now().date(), title="Les bancs sont posés")

    rows = db.session.scalars(select(Notification).where(Notification.kind == "tracking.update"))
    told = {n.user_id: n for n in rows}
    assert set(told) == {author.id, coauthor.id, by_mail.id, in_app.id}  # not the official who posted it
    assert stranger.id not in told
    assert "Les bancs sont posés" in told[author.id].message and "Des bancs au parc" in told[author.id].message
    assert told[author.id].message.startswith("News about the project")  # in the author's language
    assert told[in_app.id].link.endswith(f"/proposals/{proposal.id}")
    emails = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert emails == {"fidele@example.org"}  # email only for who follows by email


def test_an_author_who_follows_is_told_only_once(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    author = make_user()
    proposal = selected(author=author)
    db.session.add(Follow(proposal_id=proposal.id, user_id=author.id, by_email=True))
    db.session.flush()
    services.post_update(official, services.open_tracking(official, proposal), happened_on=local_now().date(),
                         title="Point d'étape")
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.user_id == author.id)) == 1
    assert [m.recipient for m in db.session.scalars(select(OutboxMessage))] == [author.email]


def test_status_changes_tell_followers_and_a_cancellation_tells_the_authors(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    author = make_user()
    follower = make_user()
    proposal = selected(author=author)
    db.session.add(Follow(proposal_id=proposal.id, user_id=follower.id))
    db.session.flush()
    tracking = services.open_tracking(official, proposal)
    change(official, tracking, status=ProjectStatus.IN_PROGRESS)
    kinds = db.session.execute(select(Notification.user_id, Notification.kind)).all()
    assert kinds == [(follower.id, "proposal.status")]

    change(official, tracking, status=ProjectStatus.CANCELLED, cancel_reason="Le budget a été gelé.")
    cancelled = db.session.scalars(select(Notification).where(Notification.kind == "tracking.cancelled")).all()
    assert {n.user_id for n in cancelled} == {follower.id, author.id}
    assert all("Le budget a été gelé." in n.message for n in cancelled)
    # No confusing "now: selected" message on top of the cancellation.
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.kind == "proposal.status")) == 1


def test_delete_update_removes_its_photos_and_is_audited(ctx):
    db = ctx
    official = make_user(Role.OFFICIAL)
    tracking = services.open_tracking(official, selected())
    update = services.post_update(official, tracking, happened_on=local_now().date(), title="Erreur",
                                  photos=[PhotoUpload(png(), "Une photo")])
    services.delete_update(official, update)
    assert count(db, TrackingUpdate) == 0 and count(db, TrackingPhoto) == 0
    assert tracking.updates == []
    assert "tracking.update_deleted" in audit_actions(db)


# --- reading ----------------------------------------------------------------------------------------------------


def test_outcomes_and_totals(ctx):
    official = make_user(Role.OFFICIAL)
    cycle = make_cycle(PhaseKind.IMPLEMENTATION)
    planned = make_proposal(cycle, status=ProposalStatus.SELECTED, city_cost_cents=100_000, title="B planned")
    untracked = make_proposal(cycle, status=ProposalStatus.SELECTED, city_cost_cents=50_000, title="A untracked")
    going = make_proposal(cycle, status=ProposalStatus.SELECTED, city_cost_cents=300_000, title="Going")
    done = make_proposal(cycle, status=ProposalStatus.DONE, city_cost_cents=200_000, title="Done")
    dropped = make_proposal(cycle, status=ProposalStatus.SELECTED, city_cost_cents=999_900, title="Dropped")
    make_proposal(cycle, status=ProposalStatus.NOT_SELECTED, city_cost_cents=1, title="Lost the vote")
    make_proposal(make_cycle(PhaseKind.IMPLEMENTATION), status=ProposalStatus.SELECTED, title="Other cycle")
    services.open_tracking(official, planned)
    change(official, services.open_tracking(official, going), status=ProjectStatus.IN_PROGRESS, spent_cents=120_000)
    change(official, services.open_tracking(official, done), spent_cents=210_000)
    change(official, services.open_tracking(official, dropped), status=ProjectStatus.CANCELLED, spent_cents=5_000,
           cancel_reason="Trop cher")

    items = services.outcomes(cycle)
    assert [i.proposal.title for i in items] == ["Going", "A untracked", "B planned", "Done", "Dropped"]
    assert items[1].tracking is None and items[1].status == ProjectStatus.PLANNED
    result = services.totals(items)
    assert result.counts == {ProjectStatus.IN_PROGRESS: 1, ProjectStatus.PLANNED: 2, ProjectStatus.DONE: 1,
                             ProjectStatus.CANCELLED: 1}
    assert result.planned_cents == 100_000 + 50_000 + 300_000 + 200_000  # the cancelled project is not planned
    assert result.spent_cents == 120_000 + 210_000 + 5_000
    assert services.tracking_for(planned).proposal_id == planned.id
    assert services.tracking_for(untracked) is None
