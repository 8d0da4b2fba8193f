from sqlalchemy import func, select

from app.accounts.models import Role, User
from app.cycles.models import Category, District
from app.demo import load_demo


def counts(db):
    return [db.session.scalar(select(func.count()).select_from(m)) for m in (User, District, Category)]


def test_demo_is_idempotent_and_has_one_account_per_role(db):
    accounts = load_demo()
    first = counts(db)
    load_demo()
    assert counts(db) == first
    assert {role for role, _email, _password in accounts} == {r.value for r in Role}
    assert db.session.scalar(select(func.count()).select_from(District)) >= 10
