"""Every rule against the winners the reference library computed (expected.json) on every shared pabulib file.

Slow (file, rule) pairs run only with TALLY_FULL=1 (see SLOW below).
"""

import json
import os

import pytest

from app.tally import pabulib, run

from .conftest import SHARED

EXPECTED = json.loads((SHARED / "expected.json").read_text()) if (SHARED / "expected.json").exists() else {}

# add1 runs MES many times: in the default suite only where the reference itself needed under 2 s (a few tenths of
# a second here); TALLY_FULL=1 runs every pair (about 10 minutes on two cores)
FULL = os.environ.get("TALLY_FULL") == "1"


def slow(name, rule):
    if "add1" not in rule:
        return False
    timing = EXPECTED[name]["timing"].get(rule, {})
    return not isinstance(timing.get("seconds"), float | int) or timing["seconds"] > 2.0


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
            marks = [pytest.mark.skipif(slow(name, rule) and not FULL, reason="slow: set TALLY_FULL=1")]
            yield pytest.param(name, rule, winners, id=f"{name}-{rule}", marks=marks)


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
