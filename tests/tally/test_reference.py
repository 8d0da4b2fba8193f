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


def election(name):
    if name not in _elections:
        _elections.clear()
        _elections[name] = pabulib.read(SHARED / name).election
    return _elections[name]


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


@pytest.mark.skipif(not EXPECTED, reason="shared/pabulib is not beside the repository")
def test_city_refuses_files_whose_rule_is_unknown():
    from app.tally import TallyError

    name = "Switzerland_Zurich_S5R.pb"
    with pytest.raises(TallyError) as info:
        run("city", election(name))
    assert info.value.code == "cannot-reproduce"


@pytest.mark.skipif(not EXPECTED, reason="shared/pabulib is not beside the repository")
def test_city_reproduces_the_selected_column():
    for name, entry in EXPECTED.items():
        if "city" not in entry["rules"] or (slow(name, "mes-cost+add1") and entry["meta_rule"] == "equalshares/add1"
                                            and not FULL):
            continue
        read = pabulib.read(SHARED / name)
        if read.selected() is None:
            continue
        assert set(run("city", read.election).winners) == set(read.selected()), name
