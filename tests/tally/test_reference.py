"""Every rule against the winners the reference library computed (expected.json) on every shared pabulib file:
every pair, the add1 ones included (all of them take about 40 s on two cores)."""

import json

import pytest

from app.tally import pabulib, run

from .conftest import SHARED

EXPECTED = json.loads((SHARED / "expected.json").read_text()) if (SHARED / "expected.json").exists() else {}

_elections: dict = {}


def read(name):
    """The file as read (the last one is kept: parameters come file by file)."""
    if name not in _elections:
        _elections.clear()
        read = pabulib.read(SHARED / name)
        assert len(read.election.ballots) == int(read.meta["num_votes"])
        _elections[name] = read
    return _elections[name]


def election(name):
    return read(name).election


def pairs():
    for name, entry in EXPECTED.items():
        for rule, winners in entry["rules"].items():
            if winners is None:
                continue
            yield pytest.param(name, rule, winners, id=f"{name}-{rule}")


@pytest.mark.skipif(not EXPECTED, reason="shared/pabulib is not beside the repository")
@pytest.mark.parametrize(("name", "rule", "winners"), list(pairs()))
def test_same_winners_as_the_reference(name, rule, winners):
    outcome = run(rule, election(name))
    assert list(outcome.winners) == sorted(winners)
    assert outcome.spent <= outcome.budget
    if rule == "city":  # the city's official outcome, as the file's selected column has it
        assert set(outcome.winners) == read(name).selected()


@pytest.mark.skipif(not EXPECTED, reason="shared/pabulib is not beside the repository")
def test_city_refuses_files_whose_rule_is_unknown():
    from app.tally import TallyError

    name = "Switzerland_Zurich_S5R.pb"
    with pytest.raises(TallyError) as info:
        run("city", election(name))
    assert info.value.code == "cannot-reproduce"
