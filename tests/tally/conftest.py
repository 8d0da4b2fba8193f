"""Pure tally tests: no database, so they run once (on SQLite), not again when DATABASE_URL points to PostgreSQL."""

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "pabulib"


def pytest_collection_modifyitems(config, items):
    if not os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="pure tally tests run once, in the SQLite pass")
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(skip)
