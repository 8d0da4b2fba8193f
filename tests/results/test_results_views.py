"""The results pages through the test client: every role on every route, before and after publication."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.cycles.models import PhaseKind
from app.extensions import db
from app.proposals.models import ProposalStatus
from app.results import services
from app.results.models import TallyRun
from app.voting.models import BallotRules
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.results.conftest import make_counted_city
from tests.voting.conftest import make_voting_city

EN = {"Accept-Language": "en"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def city(db):
    city = make_counted_city()
    db.session.commit()
    return city


@pytest.fixture
def run(city):
    run = services.run_tally(None, city.cycle)
    db.session.commit()
    return run


def publish(run):
    services.publish(None, run)
    db.session.commit()


def read_routes(city, run) -> list[str]:
    key = city.district.slug
    return [f"/budgets/{city.slug}/results", f"/budgets/{city.slug}/results/{key}",
            f"/results/runs/{run.id}", f"/results/runs/{run.id}/{key}", f"/results/runs/{run.id}/{key}/ballots.pb",
            f"/results/runs/{run.id}/{key}/results.csv", f"/results/runs/{run.id}/{key}/results.json"]


def sign_in(client, role):
    if role is not None:
        login(client, make_user(role, locale="en"))
        db.session.commit()


@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *(r.value for r in Role)])
def test_before_publication_only_officials_see_a_run_and_nobody_the_public_page(client, city, run, role):
    sign_in(client, role)
    for path in read_routes(city, run):
        expected = 200 if role == Role.OFFICIAL and path.startswith("/results/") else 404
        assert client.get(path, headers=EN).status_code == expected, path


@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *(r.value for r in Role)])
def test_once_published_everyone_sees_every_results_page(client, city, run, role):
    publish(run)
    sign_in(client, role)
    for path in read_routes(city, run):
        assert client.get(path, headers=EN).status_code == 200, path


def test_published_results_stay_hidden_until_the_results_phase_starts(client, city, run):
    publish(run)
    results = next(p for p in city.cycle.phases if p.kind == PhaseKind.RESULTS)
    voting = next(p for p in city.cycle.phases if p.kind == PhaseKind.VOTING)
    later = [p for p in city.cycle.phases if p.kind.order >= PhaseKind.RESULTS.order]
    for phase in sorted(later, key=lambda p: p.kind.order, reverse=True):  # voting closed, results not started
        phase.starts_at = phase.starts_at.replace(year=phase.starts_at.year + 2)
        if phase.ends_at:
            phase.ends_at = phase.ends_at.replace(year=phase.ends_at.year + 2)
    voting.ends_at = results.starts_at.replace(year=results.starts_at.year - 2)
    db.session.commit()
    sign_in(client, Role.OFFICIAL)
    assert client.get(f"/budgets/{city.slug}/results").status_code == 404
    assert client.get(f"/results/runs/{run.id}").status_code == 200  # staff preview


@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *(r.value for r in Role)])
def test_only_officials_reach_the_count_page_and_publish(client, city, run, role):
    sign_in(client, role)
    page = client.get(f"/budgets/{city.slug}/tally", headers=EN)
    token = csrf_token(client, "/")
    published = client.post(f"/results/runs/{run.id}/publish", data={"csrf_token": token}, headers=EN)
    db.session.expire_all()
    if role == Role.OFFICIAL:
        assert page.status_code == 200 and published.status_code == 302
        assert db.session.get(TallyRun, run.id).published_at is not None
    elif role is None:
        assert page.status_code == 302 and "/account/login" in page.headers["Location"]
        assert published.status_code == 302 and db.session.get(TallyRun, run.id).published_at is None
    else:
        assert (page.status_code, published.status_code) == (403, 403)
        assert db.session.get(TallyRun, run.id).published_at is None


def test_an_official_counts_then_publishes_from_the_count_page(client, city):
    sign_in(client, Role.OFFICIAL)
    page = client.get(f"/budgets/{city.slug}/tally", headers=EN).get_data(as_text=True)
    assert '<option selected value="mes-cost+add1">' in page
    response = client.post(f"/budgets/{city.slug}/tally", headers=EN,
                           data={"csrf_token": csrf_token(client, f"/budgets/{city.slug}/tally"),
                                 "rule": "mes-cost+add1"})
    assert response.status_code == 302
    run = db.session.scalar(select(TallyRun).where(TallyRun.cycle_id == city.cycle.id))
    assert response.headers["Location"].endswith(f"/results/runs/{run.id}")
    preview = client.get(f"/results/runs/{run.id}", headers=EN).get_data(as_text=True)
    assert "not published" in preview
    client.post(f"/results/runs/{run.id}/publish", data={"csrf_token": csrf_token(client, "/")}, headers=EN)
    db.session.expire_all()
    assert city.district_items[2].proposal.status == ProposalStatus.NOT_SELECTED
    cycle_page = client.get(f"/budgets/{city.slug}", headers=EN).get_data(as_text=True)
    assert f'href="/budgets/{city.slug}/results"' in cycle_page


def test_a_bad_rule_or_a_count_before_voting_closes_is_refused_with_422(client, db):
    city = make_counted_city(phase=PhaseKind.VOTING)
    db.session.commit()
    sign_in(client, Role.OFFICIAL)
    path = f"/budgets/{city.slug}/tally"
    page = client.get(path, headers=EN).get_data(as_text=True)
    assert "Voting has not closed yet" in page
    token = csrf_token(client, "/")
    for rule in ("mes-cost+add1", "no-such-rule", "greedy-points"):
        response = client.post(path, data={"csrf_token": token, "rule": rule}, headers=EN)
        assert response.status_code == 422, rule
    assert db.session.scalar(select(TallyRun)) is None


def test_the_public_envelope_page_has_chart_table_explanations_comparison_and_downloads(client, city, run):
    publish(run)
    html = client.get(f"/budgets/{city.slug}/results/{city.district.slug}", headers=EN).get_data(as_text=True)
    assert html.count("<h1") == 1
    assert '<svg viewBox="0 0 420' in html and 'role="img"' in html and "<table>" in html
    for item in city.district_items:
        assert item.title in html
    assert "Funded in round 1 of the equal shares" in html and "had it cost at most" in html
    assert "What another rule would have chosen" in html and "Most votes first (greedy)" in html
    assert f"/results/runs/{run.id}/{city.district.slug}/ballots.pb" in html
    wazemmes = services.envelope_of(run, city.district.slug)
    assert wazemmes.ballot_file_sha256 in html
    overview = client.get(f"/budgets/{city.slug}/results", headers=EN).get_data(as_text=True)
    assert "By phone (call center)" in overview and "On paper (polling station)" in overview


def test_the_downloads_are_the_counted_file_a_safe_csv_and_json(client, city):
    item = city.district_items[0]
    item.title = "=HYPERLINK(\"http://evil.example\")"
    db.session.commit()
    run = services.run_tally(None, city.cycle)
    publish(run)
    key = city.district.slug
    wazemmes = services.envelope_of(run, key)
    pb = client.get(f"/results/runs/{run.id}/{key}/ballots.pb")
    assert pb.get_data(as_text=True) == wazemmes.ballot_file
    assert "attachment" in pb.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(client.get(f"/results/runs/{run.id}/{key}/results.csv", headers=EN)
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Envelope" and len(rows) == 4
    assert "'=HYPERLINK(\"http://evil.example\")" in [row[3] for row in rows]
    data = json.loads(client.get(f"/results/runs/{run.id}/{key}/results.json").get_data(as_text=True))
    assert data["winners"] == sorted(str(p.item.proposal_id) for p in wazemmes.projects if p.selected)
    assert data["ballot_file_sha256"] == wazemmes.ballot_file_sha256 and data["rule"] == "mes-cost+add1"


def test_unknown_runs_and_envelopes_are_404(client, city, run):
    publish(run)
    assert client.get(f"/results/runs/{run.id + 100}").status_code == 404
    assert client.get(f"/budgets/{city.slug}/results/nowhere").status_code == 404
    assert client.get("/budgets/no-such-budget/results").status_code == 404


def test_officials_announce_the_counting_rule_with_the_ballot_rules(client, db):
    city = make_voting_city(phase=PhaseKind.REVIEW, frozen=False)
    rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == city.cycle.id))
    db.session.commit()
    sign_in(client, Role.OFFICIAL)
    path = f"/vote/{city.slug}/rules"
    base = {"csrf_token": csrf_token(client, path), "kind": "approval", "min_choices": "1", "max_choices": "5"}
    assert client.post(path, data={**base, "counting_rule": "greedy-points"}, headers=EN).status_code == 422
    assert client.post(path, data={**base, "counting_rule": "mes+add1"}, headers=EN).status_code == 302
    db.session.expire_all()
    assert db.session.get(BallotRules, rules.id).counting_rule == "mes+add1"
    assert "Method of Equal Shares with one vote per project" in client.get(path, headers=EN).get_data(as_text=True)


def test_anyone_downloads_the_ballot_file_and_counts_it_again_to_the_same_winners(client, city, run, tmp_path):
    publish(run)
    for envelope in run.envelopes:
        path = tmp_path / f"{envelope.key}.pb"
        path.write_bytes(client.get(f"/results/runs/{run.id}/{envelope.key}/ballots.pb").get_data())
        recount = subprocess.run([sys.executable, "-m", "app.tally", str(path), "--rule", run.rule, "--json"],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
        winners = json.loads(recount.stdout)["winners"]
        assert sorted(winners) == sorted(str(p.item.proposal_id) for p in envelope.projects if p.selected)


@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *(r.value for r in Role)])
def test_only_officials_compute_the_explanations_a_count_left(client, city, role):
    run = services.run_tally(None, city.cycle, explain_seconds=0)
    db.session.commit()
    left = services.pending_explanations(run)
    sign_in(client, role)
    page = client.get(f"/results/runs/{run.id}", headers=EN)
    token = csrf_token(client, "/")
    without_token = client.post(f"/results/runs/{run.id}/explain", headers=EN)
    response = client.post(f"/results/runs/{run.id}/explain", data={"csrf_token": token}, headers=EN)
    db.session.expire_all()
    after = services.pending_explanations(db.session.get(TallyRun, run.id))
    if role == Role.OFFICIAL:
        assert "Explanations still to compute" in page.get_data(as_text=True)
        assert without_token.status_code == 400
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/results/runs/{run.id}")
        assert after == 0
        done = client.get(f"/results/runs/{run.id}", headers=EN).get_data(as_text=True)
        assert "Every explanation of this count is computed." in done
        assert "Explanations still to compute" not in done
    else:
        assert after == left > 0
        assert response.status_code == (302 if role is None else 403)
