"""Budget cycle services: validation, envelopes, phases, early close and extension, districts, themes, audit."""

import json
import sys
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.accounts.models import Role
from app.core import clock
from app.core.clock import as_utc
from app.core.errors import NotAllowed, ServiceError
from app.core.forms import AmountError, parse_euros
from app.core.models import AuditEntry
from app.cycles import services
from app.cycles.models import Category, Cycle, District, Envelope, PhaseKind
from app.cycles.services import CycleValues, EnvelopeValue
from tests.factories import make_category, make_cycle, make_district, make_proposal, make_user

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with mock.patch.object(clock, "_now", return_value=NOW):
        yield NOW


@pytest.fixture
def official(db):
    return make_user(Role.OFFICIAL)


def dates_from(first_start: datetime, days: int = 10) -> dict:
    """Six back-to-back phases of ``days`` days each, starting at ``first_start``."""
    result, start = {}, first_start
    for kind in PhaseKind:
        end = None if kind == PhaseKind.CLOSED else start + timedelta(days=days)
        result[kind] = (start, end)
        start = start + timedelta(days=days)
    return result


def values(**overrides) -> CycleValues:
    data = {"slug": "budget-2026", "title_fr": "Budget participatif 2026", "title_en": "Participatory budget 2026",
            "total_budget_cents": 150_000_000, "citywide_envelope_cents": 50_000_000, "support_threshold": 5,
            "phases": dates_from(NOW - timedelta(days=5)), "envelopes": []}
    data.update(overrides)
    return CycleValues(**data)


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- Labels and pure checks ----------------------------------------------------------------------------------------


def test_every_phase_has_a_translated_label(app):
    with app.test_request_context(), force_locale("en"):
        labels = [services.phase_label(kind) for kind in PhaseKind]
        assert labels[0] == "Submission of ideas"
        assert services.phase_label("voting") == "Vote"
        assert services.phase_label(None) == ""
    assert len(set(labels)) == len(PhaseKind) and all(labels)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1500000", 150_000_000),
        ("1 500 000", 150_000_000),
        ("1\u202f500\u00a0000 €", 150_000_000),
        ("1500000,50", 150_000_050),
        ("1500000.5", 150_000_050),
        ("1.500.000,50", 150_000_050),
        ("1,500,000.50", 150_000_050),
        ("0", 0),
        ("  ", None),
    ],
)
def test_amounts_are_read_as_people_type_them(app, text, cents):
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["-5", "abc", "1,500", "12.505", "1,5,0", "12.34.5", "1 500 000,505",
                                  "1.500,000.00", "10,", "1e6", "99999999999"])
def test_amounts_that_make_no_sense_are_refused(app, text):
    with pytest.raises(AmountError):
        parse_euros(text)


def test_phase_problems_catch_order_overlap_and_inverted_dates(app):
    good = services.complete_phase_dates(dates_from(NOW))
    with app.test_request_context(), force_locale("en"):
        assert services.phase_problems(good) == []

        inverted = dict(good)
        inverted[PhaseKind.REVIEW] = (good[PhaseKind.REVIEW][0], good[PhaseKind.REVIEW][0] - timedelta(hours=1))
        assert ("review_ends", "This phase must end after it starts.") in services.phase_problems(inverted)

        overlap = dict(good)
        start, end = good[PhaseKind.VOTING]
        overlap[PhaseKind.VOTING] = (start - timedelta(days=1), end)
        [(field, message)] = services.phase_problems(overlap)
        assert field == "voting_starts" and "Review by the city" in message

        missing = dict(good)
        missing[PhaseKind.RESULTS] = (None, None)
        assert ("results_starts", "Please give the start of this phase.") in services.phase_problems(missing)


def test_a_missing_end_means_until_the_next_phase_starts(app):
    dates = dates_from(NOW)
    dates[PhaseKind.REVIEW] = (dates[PhaseKind.REVIEW][0], None)
    completed = services.complete_phase_dates(dates)
    assert completed[PhaseKind.REVIEW][1] == dates[PhaseKind.VOTING][0]
    assert completed[PhaseKind.CLOSED][1] is None


def test_budget_problems(app):
    with app.test_request_context(), force_locale("en"):
        assert services.budget_problems(1000_00, 500_00, [250_00, 250_00]) == []
        [(field, message)] = services.budget_problems(1000_00, 500_00, [250_00, 250_01])
        assert field == "total_budget" and "more than the total budget" in message


# --- Creating and editing a cycle ----------------------------------------------------------------------------------


def test_official_creates_a_cycle_with_envelopes_and_phases(app, db, official, frozen):
    wazemmes, fives = make_district("Wazemmes"), make_district("Fives")
    with app.test_request_context():
        cycle = services.save_cycle(official, values(envelopes=[EnvelopeValue(wazemmes, 40_000_000),
                                                                EnvelopeValue(fives, 60_000_000, False)]))
    db.session.expire_all()
    cycle = db.session.get(Cycle, cycle.id)
    assert (cycle.slug, cycle.total_budget_cents, cycle.citywide_envelope_cents, cycle.support_threshold) == (
        "budget-2026", 150_000_000, 50_000_000, 5)
    assert {(e.district.name, e.amount_cents, e.has_voting) for e in cycle.envelopes} == {
        ("Wazemmes", 40_000_000, True), ("Fives", 60_000_000, False)}
    assert [p.kind for p in cycle.phases] == list(PhaseKind)
    assert as_utc(cycle.phases[0].starts_at) == NOW - timedelta(days=5)
    assert cycle.phases[-1].ends_at is None
    assert services.phase_of(cycle) == PhaseKind.SUBMISSION
    [entry] = audit_entries(db, "cycle.created")
    assert entry.actor_id == official.id and entry.target_id == str(cycle.id)
    assert json.loads(entry.details)["total_budget_cents"] == 150_000_000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"slug": "Budget 2026!"}, "slug"),
        ({"slug": "-budget"}, "slug"),
        ({"title_fr": "  "}, "title_fr"),
        ({"total_budget_cents": -1}, "total_budget"),
        ({"citywide_envelope_cents": 200_000_000}, "total_budget"),
        ({"support_threshold": -3}, "support_threshold"),
    ],
)
def test_invalid_cycles_are_refused_and_nothing_is_saved(app, db, official, frozen, overrides, field):
    with app.test_request_context(), pytest.raises(ServiceError) as caught:
        services.save_cycle(official, values(**overrides))
    assert caught.value.field == field
    assert count(db, Cycle) == 0 and audit_entries(db, "cycle.created") == []


def test_envelopes_may_not_exceed_the_total_budget(app, db, official, frozen):
    district = make_district()
    with app.test_request_context(), pytest.raises(ServiceError) as caught:
        services.save_cycle(official, values(envelopes=[EnvelopeValue(district, 100_000_001)]))
    assert caught.value.field == "total_budget"
    assert count(db, Cycle) == 0 and count(db, Envelope) == 0


def test_overlapping_phases_are_refused(app, db, official, frozen):
    dates = dates_from(NOW)
    dates[PhaseKind.RESULTS] = (dates[PhaseKind.VOTING][0] + timedelta(days=1), dates[PhaseKind.RESULTS][1])
    with app.test_request_context(), pytest.raises(ServiceError) as caught:
        services.save_cycle(official, values(phases=dates))
    assert caught.value.field == "results_starts"
    assert count(db, Cycle) == 0


def test_slugs_are_unique(app, db, official, frozen):
    make_cycle()
    taken = db.session.scalars(select(Cycle.slug)).first()
    with app.test_request_context(), pytest.raises(ServiceError) as caught:
        services.save_cycle(official, values(slug=taken))
    assert caught.value.field == "slug"
    assert count(db, Cycle) == 1


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICIAL])
def test_only_officials_save_cycles(app, db, role, frozen):
    with app.test_request_context(), pytest.raises(NotAllowed):
        services.save_cycle(make_user(role), values())
    assert count(db, Cycle) == 0


def test_editing_replaces_envelopes_and_dates_and_is_audited(app, db, official, frozen):
    a, b, c = make_district("A"), make_district("B"), make_district("C")
    with app.test_request_context():
        cycle = services.save_cycle(official, values(envelopes=[EnvelopeValue(a, 10_000_000),
                                                                EnvelopeValue(b, 20_000_000)]))
        new_dates = dates_from(NOW - timedelta(days=15))
        services.save_cycle(official, values(title_fr="Budget 2026 (révisé)", total_budget_cents=160_000_000,
                                             phases=new_dates,
                                             envelopes=[EnvelopeValue(b, 25_000_000, False),
                                                        EnvelopeValue(c, 5_000_000)]), cycle)
    db.session.expire_all()
    cycle = db.session.get(Cycle, cycle.id)
    assert cycle.title_fr == "Budget 2026 (révisé)" and cycle.total_budget_cents == 160_000_000
    assert {(e.district.name, e.amount_cents, e.has_voting) for e in cycle.envelopes} == {
        ("B", 25_000_000, False), ("C", 5_000_000, True)}
    assert services.phase_of(cycle) == PhaseKind.REVIEW
    assert len(cycle.phases) == 6
    [entry] = audit_entries(db, "cycle.updated")
    changes = json.loads(entry.details)["changes"]
    assert set(changes) == {"title_fr", "total_budget_cents", "envelopes", "phases"}
    assert changes["total_budget_cents"] == [150_000_000, 160_000_000]


def test_a_frozen_ballot_keeps_its_budget(app, db, official, frozen):
    with app.test_request_context():
        cycle = services.save_cycle(official, values())
        cycle.ballot_frozen_at = NOW
        with pytest.raises(ServiceError):
            services.save_cycle(official, values(total_budget_cents=1), cycle)
        services.save_cycle(official, values(title_en="Still editable"), cycle)
    assert cycle.title_en == "Still editable" and cycle.total_budget_cents == 150_000_000


def _not_ready(cycle):
    return ["No feasible project for Wazemmes."]


def test_dates_that_open_voting_need_a_ready_ballot(app, db, official, frozen):
    with app.test_request_context():
        cycle = services.save_cycle(official, values())
        voting_now = dates_from(NOW - timedelta(days=25))
        with mock.patch.object(services, "voting_readiness_check", return_value=_not_ready):
            with pytest.raises(ServiceError) as caught:
                services.save_cycle(official, values(phases=voting_now), cycle)
            assert caught.value.field == "voting_starts" and "Wazemmes" in str(caught.value.message)
        db.session.expire_all()
        assert services.phase_of(db.session.get(Cycle, cycle.id)) == PhaseKind.SUBMISSION
        with mock.patch.object(services, "voting_readiness_check", return_value=lambda c: []):
            services.save_cycle(official, values(phases=voting_now), cycle)
        assert services.phase_of(cycle) == PhaseKind.VOTING


# --- Closing and extending a phase ---------------------------------------------------------------------------------


def test_closing_early_ends_the_phase_now_and_opens_the_next(app, db, official):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    review = services.phase_row(cycle, PhaseKind.REVIEW)
    planned_review_end = as_utc(review.ends_at)
    now = clock.utcnow()
    with mock.patch.object(clock, "_now", return_value=now), app.test_request_context():
        opened = services.close_phase_early(official, cycle, "  Assez de propositions reçues.  ")
        assert opened.kind == PhaseKind.REVIEW
        assert services.phase_of(cycle) == PhaseKind.REVIEW
    assert as_utc(services.phase_row(cycle, PhaseKind.SUBMISSION).ends_at) == now
    assert as_utc(review.starts_at) == now and as_utc(review.ends_at) == planned_review_end
    [entry] = audit_entries(db, "cycle.phase_closed_early")
    details = json.loads(entry.details)
    assert details["reason"] == "Assez de propositions reçues."
    assert (details["phase"], details["next_phase"]) == ("submission", "review")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_closing_early_needs_a_reason(app, db, official, reason):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    with app.test_request_context(), pytest.raises(ServiceError) as caught:
        services.close_phase_early(official, cycle, reason)
    assert caught.value.field == "reason"
    assert services.phase_of(cycle) == PhaseKind.SUBMISSION
    assert audit_entries(db, "cycle.phase_closed_early") == []


def test_a_closed_cycle_has_no_phase_to_close_or_extend(app, db, official):
    cycle = make_cycle(PhaseKind.CLOSED)
    with app.test_request_context():
        with pytest.raises(ServiceError):
            services.close_phase_early(official, cycle, "Pourquoi pas")
        with pytest.raises(ServiceError):
            services.extend_phase(official, cycle, clock.utcnow() + timedelta(days=1), "Pourquoi pas")


def test_voting_cannot_open_early_while_the_ballot_is_not_ready(app, db, official):
    cycle = make_cycle(PhaseKind.REVIEW)
    with (app.test_request_context(), mock.patch.object(services, "voting_readiness_check", return_value=_not_ready),
          pytest.raises(ServiceError) as caught):
        services.close_phase_early(official, cycle, "Les services ont fini")
    assert "Wazemmes" in str(caught.value.message)
    assert services.phase_of(cycle) == PhaseKind.REVIEW
    assert audit_entries(db, "cycle.phase_closed_early") == []


def test_voting_opens_early_when_the_ballot_is_ready(app, db, official):
    cycle = make_cycle(PhaseKind.REVIEW)
    calls = []
    with app.test_request_context(), mock.patch.object(services, "voting_readiness_check",
                                                       return_value=lambda c: calls.append(c) or []):
        services.close_phase_early(official, cycle, "Les services ont fini")
    assert calls == [cycle]
    assert services.phase_of(cycle) == PhaseKind.VOTING
    assert cycle.ballot_frozen_at is None  # freezing the ballot belongs to the review feature


def test_without_the_review_feature_the_readiness_check_is_skipped(app, db, official):
    with mock.patch.dict(sys.modules, {"app.review.services": None}):
        assert services.voting_readiness_check() is None
        cycle = make_cycle(PhaseKind.REVIEW)
        with app.test_request_context():
            services.close_phase_early(official, cycle, "Les services ont fini")
    assert services.phase_of(cycle) == PhaseKind.VOTING


def test_extending_moves_the_end_and_pushes_the_next_phase(app, db, official):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    submission, review = services.phase_row(cycle, PhaseKind.SUBMISSION), services.phase_row(cycle, PhaseKind.REVIEW)
    old_end, review_end = as_utc(submission.ends_at), as_utc(review.ends_at)
    new_end = old_end + timedelta(days=7)
    with app.test_request_context():
        services.extend_phase(official, cycle, new_end, "Vacances scolaires")
    assert as_utc(submission.ends_at) == new_end
    assert as_utc(review.starts_at) == new_end and as_utc(review.ends_at) == review_end
    [entry] = audit_entries(db, "cycle.phase_extended")
    details = json.loads(entry.details)
    assert details["reason"] == "Vacances scolaires" and details["phase"] == "submission"
    assert details["new_end"] == new_end.isoformat() and details["planned_end"] == old_end.isoformat()


def test_extending_into_a_gap_leaves_the_next_phase_alone(app, db, official):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    review = services.phase_row(cycle, PhaseKind.REVIEW)
    review.starts_at = as_utc(review.starts_at) + timedelta(days=10)
    db.session.flush()
    review_start = as_utc(review.starts_at)
    with app.test_request_context():
        services.extend_phase(official, cycle, review_start - timedelta(days=1), "Un peu plus de temps")
    assert as_utc(review.starts_at) == review_start


@pytest.mark.parametrize("days", [-1, 0, 60])
def test_extending_refuses_earlier_ends_and_swallowing_the_next_phase(app, db, official, days):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    submission = services.phase_row(cycle, PhaseKind.SUBMISSION)
    before = [(p.kind, as_utc(p.starts_at), p.ends_at and as_utc(p.ends_at)) for p in cycle.phases]
    with app.test_request_context(), pytest.raises(ServiceError) as caught:
        services.extend_phase(official, cycle, as_utc(submission.ends_at) + timedelta(days=days), "Une raison")
    assert caught.value.field == "ends_at"
    assert [(p.kind, as_utc(p.starts_at), p.ends_at and as_utc(p.ends_at)) for p in cycle.phases] == before
    assert audit_entries(db, "cycle.phase_extended") == []


def test_only_officials_close_or_extend(app, db):
    cycle = make_cycle(PhaseKind.SUBMISSION)
    with app.test_request_context():
        for role in (Role.RESIDENT, Role.MODERATOR, Role.AGENT, Role.TEACHER):
            with pytest.raises(NotAllowed):
                services.close_phase_early(make_user(role), cycle, "raison")
            with pytest.raises(NotAllowed):
                services.extend_phase(make_user(role), cycle, clock.utcnow() + timedelta(days=40), "raison")
    assert services.phase_of(cycle) == PhaseKind.SUBMISSION


# --- Which cycles are open -----------------------------------------------------------------------------------------


def test_cycles_are_grouped_open_upcoming_and_past(app, db):
    submission, closed = make_cycle(PhaseKind.SUBMISSION), make_cycle(PhaseKind.CLOSED)
    gap = make_cycle(PhaseKind.REVIEW)
    review = services.phase_row(gap, PhaseKind.REVIEW)
    review.starts_at = clock.utcnow() + timedelta(days=1)  # submission ended 15 days ago: a gap
    upcoming = make_cycle(PhaseKind.SUBMISSION)
    for phase in upcoming.phases:
        phase.starts_at = as_utc(phase.starts_at) + timedelta(days=400)
        phase.ends_at = phase.ends_at and as_utc(phase.ends_at) + timedelta(days=400)
    db.session.flush()
    groups = services.cycles_by_state()
    assert set(groups["open"]) == {submission, gap}
    assert groups["upcoming"] == [upcoming] and groups["past"] == [closed]
    assert set(services.open_cycles()) == {submission, gap}


def test_timeline_marks_past_current_and_next(app, db):
    cycle = make_cycle(PhaseKind.VOTING)
    with app.test_request_context():
        states = [(step.kind, step.state) for step in services.cycle_timeline(cycle)]
    assert states == [(PhaseKind.SUBMISSION, "past"), (PhaseKind.REVIEW, "past"), (PhaseKind.VOTING, "current"),
                      (PhaseKind.RESULTS, "next"), (PhaseKind.IMPLEMENTATION, "future"),
                      (PhaseKind.CLOSED, "future")]


# --- Districts and themes ------------------------------------------------------------------------------------------


def test_districts_are_created_edited_and_audited(app, db, official):
    with app.test_request_context():
        district = services.save_district(official, " Vieux-Lille ", "vieux-lille")
        services.save_district(official, "Le Vieux-Lille", "vieux-lille", district)
        with pytest.raises(ServiceError) as caught:
            services.save_district(official, "Autre", "vieux-lille")
    assert caught.value.field == "slug"
    assert district.name == "Le Vieux-Lille"
    assert len(audit_entries(db, "district.created")) == 1 and len(audit_entries(db, "district.updated")) == 1


def test_a_district_in_use_cannot_be_deleted(app, db, official):
    in_cycle, with_proposal, unused = make_district("A"), make_district("B"), make_district("C")
    cycle = make_cycle(districts=[in_cycle])
    make_proposal(cycle, district=with_proposal)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(ServiceError) as first:
            services.delete_district(official, in_cycle)
        with pytest.raises(ServiceError) as second:
            services.delete_district(official, with_proposal)
        assert "envelope" in str(first.value.message)
        assert "district of 1 proposal," in str(second.value.message)
        services.delete_district(official, unused)
    assert {d.name for d in db.session.scalars(select(District))} == {"A", "B"}
    assert [json.loads(e.details)["name"] for e in audit_entries(db, "district.deleted")] == ["C"]


def test_themes_are_validated_and_audited(app, db, official):
    good = {"slug": "velo", "name_fr": "Vélo", "name_en": "Cycling", "name_nl": "", "icon": "🚲",
            "colour": "#1D4ED8"}
    with app.test_request_context():
        category = services.save_category(official, good)
        assert category.colour == "#1d4ed8"
        for bad, field in (({"colour": "blue"}, "colour"), ({"name_fr": ""}, "name_fr"),
                           ({"slug": "Vélo"}, "slug")):
            with pytest.raises(ServiceError) as caught:
                services.save_category(official, {**good, "slug": "autre", **bad})
            assert caught.value.field == field
        services.save_category(official, {**good, "name_fr": "Vélo et mobilité"}, category)
    assert count(db, Category) == 1 and category.name_fr == "Vélo et mobilité"
    assert len(audit_entries(db, "category.created")) == 1 and len(audit_entries(db, "category.updated")) == 1


def test_a_theme_in_use_cannot_be_deleted(app, db, official):
    used, unused = make_category("Utilisé"), make_category("Libre")
    make_proposal(category=used)
    with app.test_request_context():
        with pytest.raises(ServiceError):
            services.delete_category(official, used)
        services.delete_category(official, unused)
    assert [c.name_fr for c in db.session.scalars(select(Category))] == ["Utilisé"]
