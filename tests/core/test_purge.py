"""The purge registry: every module's purger runs, in registration order, and overrides replace one by name."""

from datetime import datetime

from app.core import purge


def test_purge_all_runs_every_purger_and_overrides_by_name(monkeypatch):
    monkeypatch.setattr(purge, "_PURGERS", {})
    seen: list[tuple[str, datetime]] = []
    purge.register("one", "One erased", lambda now: seen.append(("one", now)) or 2)
    purge.register("two", "Two erased", lambda now: seen.append(("two", now)) or 3)
    moment = datetime(2027, 1, 1)
    report = purge.purge_all(moment, overrides={"two": lambda now: 7})
    assert [(p.name, n) for p, n in report] == [("one", 2), ("two", 7)]
    assert seen == [("one", moment)]


def test_modules_register_their_purgers(app):
    assert "callers" in {p.name for p in purge.purgers()}
