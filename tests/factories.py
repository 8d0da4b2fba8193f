"""Plain factory functions for test data. Passwords share one precomputed hash to keep tests fast."""

import itertools

from app.accounts.models import Role, User
from app.accounts.services import hash_password
from app.core.clock import utcnow
from app.cycles.models import Category, District, PhaseKind  # noqa: F401
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


def make_cycle(phase: "PhaseKind | None" = None, *, title: str | None = None, budget_cents: int = 100_000_000,
               districts=(), envelope_cents: int = 10_000_000, citywide_cents: int | None = 20_000_000,
               support_threshold: int = 0):
    """A cycle whose phases are laid out so that ``phase`` is open now (submission if None)."""
    from datetime import timedelta

    from app.core.clock import utcnow
    from app.cycles.models import Cycle, Envelope, Phase, PhaseKind

    phase = phase or PhaseKind.SUBMISSION
    n = next(_counter)
    cycle = Cycle(slug=f"cycle-{n}", title_fr=title or f"Budget participatif {n}", title_en=f"Participatory budget {n}",
                  description_fr="Un budget pour tester.", total_budget_cents=budget_cents,
                  citywide_envelope_cents=citywide_cents, support_threshold=support_threshold)
    start = utcnow() - timedelta(days=30 * (phase.order + 1)) + timedelta(days=15)
    for kind in PhaseKind:
        ends = None if kind == PhaseKind.CLOSED else start + timedelta(days=30)
        cycle.phases.append(Phase(kind=kind, starts_at=start, ends_at=ends))
        start = start + timedelta(days=30)
    for district in districts:
        cycle.envelopes.append(Envelope(district=district, amount_cents=envelope_cents))
    db.session.add(cycle)
    db.session.flush()
    return cycle


def make_proposal(cycle=None, author=None, *, status=None, title: str | None = None, body: str = "Une idée.",
                  district=None, category=None, city_cost_cents: int | None = None, **values):
    """A proposal saved directly (no phase checks), with its derived fields filled as the services do."""
    from app.core.rendering import render_markdown
    from app.proposals.models import Proposal, ProposalStatus
    from app.proposals.search import normalise

    cycle = cycle or make_cycle()
    author = author or make_user()
    n = next(_counter)
    proposal = Proposal(cycle=cycle, author=author, title=title or f"Proposition {n}", body=body,
                        body_html=render_markdown(body), district=district, category=category,
                        status=status or ProposalStatus.SUBMITTED, city_cost_cents=city_cost_cents,
                        submitted_at=utcnow(), **values)
    proposal.search_text = normalise(proposal.title, body, values.get("address", ""))
    db.session.add(proposal)
    db.session.flush()
    return proposal
