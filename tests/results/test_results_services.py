"""Counting a cycle, storing and publishing the run, the ballot file anyone can count again."""

import hashlib

import pytest
from pabulib.checker import Checker
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import tally
from app.accounts.models import Role
from app.core.clock import utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.models import AuditEntry, Notification
from app.cycles.models import PhaseKind
from app.proposals.models import ProposalStatus, StatusChange
from app.proposals.services import follow
from app.results import services
from app.results.ballots import insert_ballots
from app.results.explain import sentences
from app.results.models import TallyRun
from app.voting.models import Ballot, BallotKind, BallotRules
from tests.factories import make_user
from tests.results.conftest import make_counted_city


def envelope(run, district_id):
    return next(e for e in run.envelopes if e.district_id == district_id)


def winners(env) -> set[str]:
    return {p.item.title for p in env.projects if p.selected}


def checker_errors(text: str) -> dict:
    result = Checker().process_files([text])
    file_result = next(v for k, v in result.items() if k not in ("metadata", "summary"))
    return file_result["results"].get("errors", {})


def test_counting_is_refused_while_voting_is_open_and_writes_nothing(ctx):
    city = make_counted_city(phase=PhaseKind.VOTING)
    official = make_user(Role.OFFICIAL)
    assert not services.voting_closed(city.cycle)
    with pytest.raises(NotAllowed):
        services.run_tally(official, city.cycle)
    assert ctx.session.scalar(select(func.count()).select_from(TallyRun)) == 0


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICIAL])
def test_only_officials_count(counted, role):
    with pytest.raises(NotAllowed):
        services.run_tally(make_user(role), counted.cycle)


def test_a_run_stores_rule_channels_outcome_and_the_hash_of_the_file_it_counted(counted, ctx):
    official = make_user(Role.OFFICIAL)
    run = services.run_tally(official, counted.cycle)
    assert (run.rule, run.tie_breaking, run.comparison_rule) == ("mes-cost+add1", "smallest-id", "greedy")
    assert run.voters_by_channel == {"web": 10, "paper": 2, "phone": 1}
    wazemmes = envelope(run, counted.district.id)
    w1, w2, w3 = (item.title for item in counted.district_items)
    assert winners(wazemmes) == {w1, w2}
    assert wazemmes.spent_cents == 70_00 and wazemmes.ballots == 10
    assert {p.item.title for p in wazemmes.projects if p.comparison_selected} == {w2, w3}
    assert wazemmes.comparison_spent_cents == 90_00
    assert wazemmes.ballot_file_sha256 == hashlib.sha256(wazemmes.ballot_file.encode()).hexdigest()
    fives = envelope(run, counted.other_district.id)
    assert (fives.ballots, fives.blank_ballots) == (3, 1)
    entry = ctx.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.tallied"))
    assert entry.actor_id == official.id and wazemmes.ballot_file_sha256 in entry.details


def test_greedy_run_and_the_mes_comparison(ctx):
    city = make_counted_city(rule="greedy")
    run = services.run_tally(None, city.cycle)
    wazemmes = envelope(run, city.district.id)
    w1, w2, w3 = (item.title for item in city.district_items)
    assert winners(wazemmes) == {w2, w3} and run.comparison_rule == "mes-cost+add1"
    assert {p.item.title for p in wazemmes.projects if p.comparison_selected} == {w1, w2}


def test_the_ballot_file_is_anonymous_valid_pabulib_and_counts_again_to_the_same_winners(counted):
    run = services.run_tally(None, counted.cycle)
    for env in run.envelopes:
        errors = checker_errors(env.ballot_file)
        assert errors == {}, errors
        parsed = tally.pabulib.read(env.ballot_file, keep_votes=True)
        assert [row["voter_id"] for row in parsed.votes] == [str(n) for n in range(1, len(parsed.votes) + 1)]
        assert set(parsed.votes[0]) == {"voter_id", "vote"}  # nothing about the voter
        for rule in (run.rule, run.comparison_rule):
            again = tally.run(rule, parsed.election, tie_breaking=run.tie_breaking)
            expected = {str(p.item.proposal_id) for p in env.projects
                        if (p.selected if rule == run.rule else p.comparison_selected)}
            assert set(again.winners) == expected


def test_the_file_holds_no_ballot_id_or_receipt(counted, ctx):
    run = services.run_tally(None, counted.cycle)
    text = "".join(env.ballot_file for env in run.envelopes)
    for ballot_id, receipt in ctx.session.execute(select(Ballot.id, Ballot.receipt_hash)):
        assert ballot_id not in text and receipt not in text


def test_the_file_holds_exactly_the_non_blank_ballots_of_the_envelope(counted):
    run = services.run_tally(None, counted.cycle)
    wazemmes = envelope(run, counted.district.id)
    votes = sorted(row["vote"] for row in tally.pabulib.read(wazemmes.ballot_file, keep_votes=True).votes)
    w1, w2, w3 = (str(item.proposal_id) for item in counted.district_items)
    assert votes == sorted([",".join(sorted([w2, w3]))] * 6 + [w1] * 4)


def test_explanations_name_rounds_payments_and_the_largest_fundable_cost(counted):
    run = services.run_tally(None, counted.cycle)
    wazemmes = envelope(run, counted.district.id)
    by_title = {p.item.title: p for p in wazemmes.projects}
    w1, w2, w3 = (item.title for item in counted.district_items)
    funded = " ".join(sentences(by_title[w2].details, by_title[w2].votes, run.ballot_kind))
    assert "round 1" in funded and "6 supporters paid €6.67 each" in funded
    left_out = " ".join(sentences(by_title[w3].details, by_title[w3].votes, run.ballot_kind))
    # W2's six supporters had 60 €, paid 40 €: 20 € left; beside W1 and W2, 30 € of the envelope remain
    assert "had 20\xa0€ left" in left_out and "it needed 50\xa0€" in left_out
    assert by_title[w3].details["max_cost"] == 30_00
    assert "had it cost at most 30\xa0€" in left_out


def test_greedy_explanations_tell_the_money_left_when_a_project_came(ctx):
    city = make_counted_city(rule="greedy")
    run = services.run_tally(None, city.cycle)
    wazemmes = envelope(run, city.district.id)
    w1 = next(p for p in wazemmes.projects if p.item.title == city.district_items[0].title)
    text = " ".join(sentences(w1.details, w1.votes, run.ballot_kind))
    assert "number 3 in the order" in text and "4 votes" in text and "only 10\xa0€ were left" in text


def test_publishing_sets_statuses_through_the_history_and_tells_followers(counted, ctx):
    official = make_user(Role.OFFICIAL)
    fan = make_user()
    loser = counted.district_items[2].proposal  # W3, not funded by equal shares
    follow(fan, loser)
    run = services.run_tally(official, counted.cycle)
    services.publish(official, run)
    assert run.published_at is not None and services.published_run(counted.cycle) is run
    assert loser.status == ProposalStatus.NOT_SELECTED
    assert counted.district_items[0].proposal.status == ProposalStatus.SELECTED
    assert ctx.session.scalar(select(StatusChange).where(StatusChange.proposal_id == loser.id,
                                                         StatusChange.to_status == ProposalStatus.NOT_SELECTED))
    assert ctx.session.scalar(select(Notification).where(Notification.user_id == fan.id))
    assert ctx.session.scalar(select(AuditEntry).where(AuditEntry.action == "results.published"))


def test_one_published_run_per_cycle(counted, ctx):
    first = services.run_tally(None, counted.cycle)
    second = services.run_tally(None, counted.cycle)
    services.publish(None, first)
    with pytest.raises(ServiceError):
        services.publish(None, second)
    with pytest.raises(ServiceError):
        services.publish(None, first)
    second.published_at = utcnow()  # even written directly, the database refuses a second published run
    with pytest.raises(IntegrityError), ctx.session.begin_nested():
        ctx.session.flush()


def test_only_the_announced_rule_can_be_published(counted):
    run = services.run_tally(None, counted.cycle, "greedy")
    with pytest.raises(ServiceError):
        services.publish(None, run)
    with pytest.raises(ServiceError):
        services.run_tally(None, counted.cycle, "greedy-points")  # not a rule for approval ballots


def test_the_public_sees_a_run_once_published_and_the_results_phase_started(counted):
    run = services.run_tally(None, counted.cycle)
    assert not services.is_public(run)
    services.publish(None, run)
    assert services.is_public(run) and services.public_run(counted.cycle) is run
    results = next(p for p in counted.cycle.phases if p.kind == PhaseKind.RESULTS)
    assert not services.is_public(run, now=results.starts_at.replace(year=results.starts_at.year - 1))


def test_cumulative_points_and_majority_grades_are_counted_as_such(ctx):
    city = make_counted_city(phase=PhaseKind.RESULTS, rule="greedy-points")
    rules = ctx.session.query(BallotRules).filter_by(cycle_id=city.cycle.id).one()
    rules.kind, rules.points_total, rules.points_per_project = BallotKind.CUMULATIVE, 10, 10
    w1, w2, w3 = city.district_items
    insert_ballots(city.cycle.id, [("web", {city.district.id: [(w1.id, 9), (w3.id, 1)]})], utcnow().date(), "t")
    run = services.run_tally(None, city.cycle)
    wazemmes = envelope(run, city.district.id)
    points = {p.item.title: p.votes for p in wazemmes.projects}
    assert points[w1.title] == 4 + 9 and points[w3.title] == 6 + 1  # earlier approvals count one point each
    assert "vote_type;cumulative" in wazemmes.ballot_file

    rules.kind, rules.points_total, rules.points_per_project = BallotKind.MAJORITY_JUDGMENT, None, None
    rules.counting_rule = "majority-judgment"
    run = services.run_tally(None, city.cycle)
    text = envelope(run, city.district.id).ballot_file
    assert "vote_type;scoring" in text and checker_errors(text) == {}


def test_a_cycle_without_ballot_cannot_be_counted(ctx):
    city = make_counted_city()
    city.cycle.ballot_frozen_at = None
    with pytest.raises(ServiceError):
        services.run_tally(None, city.cycle)


def test_explanations_left_when_time_is_up_are_computed_later_to_the_same_figures(counted, ctx):
    full = services.run_tally(None, counted.cycle)
    run = services.run_tally(None, counted.cycle, explain_seconds=0)
    expected = {p.ballot_item_id: p.details for e in full.envelopes for p in e.projects}
    pending = [p for e in run.envelopes for p in e.projects if p.details.get(services.PENDING)]
    assert [p.ballot_item_id for p in pending] == [p.ballot_item_id for e in full.envelopes for p in e.projects
                                                   if p.details.get("max_cost") is not None]
    assert pending and all(p.details.get("max_cost") is None for p in pending)
    assert "not computed yet" in " ".join(sentences(pending[0].details, pending[0].votes, run.ballot_kind))
    assert services.pending_explanations(run) == len(pending)
    assert services.explain_pending(None, run, seconds=0) == (1, len(pending) - 1)  # at least one each time
    done, left = services.explain_pending(None, run)
    assert (done, left) == (len(pending) - 1, 0)
    for envelope in run.envelopes:
        for project in envelope.projects:
            assert project.details == expected[project.ballot_item_id]
    assert services.explain_pending(None, run) == (0, 0)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.OFFICIAL])
def test_only_officials_compute_explanations(counted, role):
    run = services.run_tally(None, counted.cycle, explain_seconds=0)
    left = services.pending_explanations(run)
    with pytest.raises(NotAllowed):
        services.explain_pending(make_user(role), run)
    assert services.pending_explanations(run) == left
    assert services.explain_pending(make_user(Role.OFFICIAL), run) == (left, 0)


def test_explanations_refused_when_the_ballot_file_no_longer_gives_the_results(counted, ctx):
    run = services.run_tally(None, counted.cycle, explain_seconds=0)
    wazemmes = envelope(run, counted.district.id)
    fives = envelope(run, counted.other_district.id)
    wazemmes.ballot_file = fives.ballot_file
    ctx.session.commit()
    left = services.pending_explanations(run)
    with pytest.raises(ServiceError):
        services.explain_pending(None, run)
    ctx.session.rollback()  # as the view and the command do: nothing of this attempt is kept
    assert services.pending_explanations(ctx.session.get(TallyRun, run.id)) == left
