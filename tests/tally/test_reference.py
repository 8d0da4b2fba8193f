"""Every rule against the winners the reference library computed (expected.json) on every shared pabulib file.

Slow (file, rule) pairs run only with TALLY_FULL=1 (see SLOW below).
"""

import json
import os

import pytest

from app.tally import pabulib, run

from .conftest import SHARED

EXPECTED = json.loads((SHARED / "expected.json").read_text()) if (SHARED / "expected.json").exists() else {}

# (file, rule) pairs that take more than a few seconds here; TALLY_FULL=1 runs them too
SLOW = {
    ("France_Toulouse_2022.pb", "mes+add1"),
    ("France_Toulouse_2022.pb", "mes+add1+greedy"),
    ("France_Toulouse_2022.pb", "mes-cost+add1"),
    ("France_Toulouse_2022.pb", "mes-cost+add1+greedy"),
}
SLOW_FILES = {"Poland_Warszawa_2026.pb", "Poland_Warszawa_2023_Bemowo.pb", "Netherlands_Amsterdam_621.pb",
              "Poland_Krakow_2020.pb"}
FULL = os.environ.get("TALLY_FULL") == "1"

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
            slow = (name, rule) in SLOW or (name in SLOW_FILES and "add1" in rule)
            marks = [pytest.mark.skipif(slow and not FULL, reason="slow: set TALLY_FULL=1")]
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
        if "city" not in entry["rules"] or (name in SLOW_FILES and not FULL):
            continue
        read = pabulib.read(SHARED / name)
        if read.selected() is None:
            continue
        assert set(run("city", read.election).winners) == set(read.selected()), name
