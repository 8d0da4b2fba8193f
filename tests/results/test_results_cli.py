"""``flask pb tally`` and ``flask pb import-pabulib`` (real elections from the shared pabulib files)."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import tally
from app.cycles.models import Cycle
from app.results import services
from app.results.models import TallyRun
from app.voting.models import Ballot, Participation
from tests.results.conftest import make_counted_city

PABULIB = Path(__file__).resolve().parents[2].parent / "shared" / "pabulib"


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_tally_counts_with_the_announced_rule_and_publishes(runner, db):
    city = make_counted_city()
    db.session.commit()
    result = runner.invoke(args=["pb", "tally", city.slug, "--publish"])
    assert result.exit_code == 0, result.output
    run = db.session.scalar(select(TallyRun).where(TallyRun.cycle_id == city.cycle.id))
    assert run.rule == "mes-cost+add1" and run.published_at is not None
    assert "(published)" in result.output and city.district_items[0].title in result.output


def test_tally_with_another_rule_and_its_refusals(runner, db):
    city = make_counted_city()
    db.session.commit()
    assert runner.invoke(args=["pb", "tally", city.slug, "--rule", "greedy"]).exit_code == 0
    refused = runner.invoke(args=["pb", "tally", city.slug, "--rule", "greedy", "--publish"])
    assert refused.exit_code != 0 and "annoncée" in refused.output  # the city's language
    assert runner.invoke(args=["pb", "tally", "no-such-cycle"]).exit_code != 0


def _import(runner, name: str, slug: str, *options: str):
    result = runner.invoke(args=["pb", "import-pabulib", str(PABULIB / name), "--slug", slug, *options])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("name", ["Poland_Warszawa_2018_Pole_Mokotowskie.pb", "Netherlands_Assen_2024.pb"])
def test_import_pabulib_loads_a_finished_cycle_whose_published_results_match_the_city(runner, db, client, name):
    slug = name.lower().replace("_", "-").removesuffix(".pb")[:80]
    _import(runner, name, slug, *(["--no-max-costs"] if "Assen" in name else []))  # 84 voters, but add1: slow
    cycle = db.session.scalar(select(Cycle).where(Cycle.slug == slug))
    parsed = tally.pabulib.read(PABULIB / name)
    voters = db.session.scalar(select(func.count()).select_from(Participation)
                               .where(Participation.cycle_id == cycle.id))
    assert voters == len(parsed.election.ballots)
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.cycle_id == cycle.id)) == voters
    run = services.public_run(cycle)
    assert run is not None
    funded = {p.item.title for p in run.envelopes[0].projects if p.selected}
    names = {p.id: (p.name or p.id)[:150] for p in parsed.election.projects}
    assert funded == {names[pid] for pid in parsed.selected()}  # the city's own outcome
    assert client.get(f"/budgets/{slug}/results/city").status_code == 200


def test_import_refuses_an_existing_address_and_a_file_that_is_not_pabulib(runner, db, tmp_path):
    _import(runner, "Poland_Warszawa_2018_Pole_Mokotowskie.pb", "mokotowskie")
    again = runner.invoke(args=["pb", "import-pabulib", str(PABULIB / "Netherlands_Assen_2024.pb"),
                                "--slug", "mokotowskie"])
    assert again.exit_code != 0 and "existe déjà" in again.output
    junk = tmp_path / "junk.pb"
    junk.write_text("not a pabulib file\n")
    assert runner.invoke(args=["pb", "import-pabulib", str(junk)]).exit_code != 0


def test_explain_computes_what_a_count_left_pending(runner, db):
    city = make_counted_city()
    run = services.run_tally(None, city.cycle, explain_seconds=0)
    db.session.commit()
    assert services.pending_explanations(run) > 0
    result = runner.invoke(args=["pb", "explain", str(run.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert services.pending_explanations(db.session.get(TallyRun, run.id)) == 0
    assert runner.invoke(args=["pb", "explain", "999999"]).exit_code != 0
