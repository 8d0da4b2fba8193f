"""Reading and writing pabulib: real files read whole, written files accepted by pabulib-checker, round trips."""

import pytest
from pabulib.checker import Checker

from app.tally import ApprovalBallot, CumulativeBallot, Election, OrdinalBallot, Project, TallyError, pabulib

from .conftest import SHARED

SMALL = """META\r
key;value\r
description;test\r
country;France\r
unit;Lille\r
instance;2026\r
num_projects;3\r
num_votes;3\r
budget;1000.50\r
vote_type;approval\r
rule;greedy\r
PROJECTS\r
project_id;cost;votes;name;selected\r
A/1;500.25;2;"Parc ""des"" enfants; nord";1\r
B;600;2;Piste;0\r
10;100;0;Rien;1\r
VOTES\r
voter_id;vote\r
1;A/1,B\r
2;B\r
3;A/1\r
"""


def errors_of(text: str) -> dict:
    results = Checker().process_files([text])
    (key,) = [k for k in results if k not in ("metadata", "summary")]
    return results[key]["results"].get("errors", {})


def test_reads_quotes_decimals_and_odd_ids():
    read = pabulib.read(SMALL)
    e = read.election
    assert e.scale == 100
    assert e.budget == 100050
    assert [(p.id, p.cost) for p in e.projects] == [("A/1", 50025), ("B", 60000), ("10", 10000)]
    assert e.projects[0].name == 'Parc "des" enfants; nord'
    assert e.ballots[0] == ApprovalBallot(frozenset({"A/1", "B"}))
    assert read.selected() == {"A/1", "10"}


def test_rejects_a_file_without_votes_section():
    with pytest.raises(TallyError) as info:
        pabulib.read(SMALL.split("VOTES")[0])
    assert info.value.code == "bad-pabulib"


def test_rejects_a_ballot_naming_an_unknown_project():
    with pytest.raises(TallyError) as info:
        pabulib.read(SMALL.replace("3;A/1", "3;Z"))
    assert info.value.code == "unknown-project"


@pytest.mark.parametrize(
    "election",
    [
        Election((Project("1", 300), Project("2", 250)), 400,
                 (ApprovalBallot(frozenset({"1", "2"})), ApprovalBallot(frozenset()))),
        Election((Project("x", 1050), Project("y", 1099)), 1500,
                 (CumulativeBallot((("x", 2), ("y", 1))), CumulativeBallot((("y", 3),))), "cumulative", scale=100),
        Election((Project("a", 10), Project("b", 20), Project("c", 30)), 40,
                 (OrdinalBallot(("c", "a")), OrdinalBallot(("b",))), "ordinal", max_length=2),
    ],
    ids=["approval", "cumulative-cents", "ordinal"],
)
def test_written_files_pass_the_checker_and_read_back_the_same(election):
    text = pabulib.write(election, meta={"country": "France", "unit": "Lille", "instance": "2026"},
                         selected=[election.projects[0].id])
    assert errors_of(text) == {}
    back = pabulib.read(text).election
    assert [(p.id, p.cost) for p in back.projects] == [(p.id, p.cost) for p in election.projects]
    assert back.budget == election.budget and back.scale == election.scale
    assert back.ballots == tuple(b for b in election.ballots if b != ApprovalBallot(frozenset()))  # blank left out
    assert back.vote_type == election.vote_type


@pytest.mark.skipif(not SHARED.exists(), reason="shared/pabulib is not beside the repository")
@pytest.mark.parametrize("name", ["Poland_Czestochowa_2024_Zawodzie_-_Dabie.pb",
                                  "Poland_Krakow_2022_Pradnik_Czerwony.pb",
                                  "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb"])
def test_real_files_written_back_pass_the_checker(name):
    read = pabulib.read(SHARED / name)
    text = pabulib.write(read.election)
    assert errors_of(text) == {}
    assert pabulib.read(text).election.ballots == read.election.ballots
