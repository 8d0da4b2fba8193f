"""Plain factory functions for test data. Passwords share one precomputed hash to keep tests fast."""

import itertools

from app.accounts.models import Role, User
from app.accounts.services import hash_password
from app.core.clock import utcnow
from app.cycles.models import Category, District
from app.extensions import db

PASSWORD = "correct horse battery"
_HASH = None
_counter = itertools.count(1)


def password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def make_user(role: Role = Role.RESIDENT, *, email: str | None = None, confirmed: bool = True,
              display_name: str | None = None, locale: str = "fr", **values) -> User:
    n = next(_counter)
    user = User(
        email=email or f"user{n}@example.org",
        password_hash=password_hash(),
        display_name=display_name or f"{role.value.title()} {n}",
        role=role,
        locale=locale,
        email_confirmed_at=utcnow() if confirmed else None,
        **values,
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_district(name: str | None = None) -> District:
    n = next(_counter)
    district = District(slug=f"district-{n}", name=name or f"Quartier {n}")
    db.session.add(district)
    db.session.flush()
    return district


def make_category(name: str | None = None) -> Category:
    n = next(_counter)
    category = Category(slug=f"category-{n}", name_fr=name or f"Thème {n}", name_en=f"Theme {n}")
    db.session.add(category)
    db.session.flush()
    return category
