"""What the public API and the open-data files may show, and nothing more: the one place that chooses the rows.

Every reader of the API and the exports goes through these functions, so that the rules hold everywhere at once:
- only city cycles (``city_cycle_clause``): a school's or a class's budget never appears;
- only proposals that a visitor can list on the web: public statuses, not hidden by moderation;
- results only once published and public (``app.results.services.public_run``); the anonymous ballot file only
  once voting has closed;
- people only by ``User.public_name`` (never an e-mail address, never ``display_name``);
- never staff notes, reviewers, callers, who entered a proposal for whom, nor anything that links a voter to a ballot.

Presenters return plain dicts; ``app.api.schemas`` dumps them, which also drops any key a schema does not declare.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.core.clock import as_utc
from app.cycles.models import CITY_CYCLES, Category, Cycle, District
from app.cycles.services import phase_of
from app.extensions import db
from app.proposals.models import PUBLIC_STATUSES, Proposal, ProposalStatus, StatusChange
from app.results import services as results_services
from app.results.exports import results_json
from app.tracking import services as tracking_services
from app.voting.models import BallotRules

MAX_ID = 2**31 - 1  # ids are 32-bit integers: a larger number names nothing (and would overflow SQLite)

# Statuses at which the city's cost is public (the ballot shows it).
COSTED = frozenset({ProposalStatus.FEASIBLE, ProposalStatus.SELECTED, ProposalStatus.NOT_SELECTED,
                    ProposalStatus.IN_PROGRESS, ProposalStatus.DONE})


# --- Which rows ---------------------------------------------------------------------------------------------------

def city_cycle_clause():
    """City cycles only: a school's or class's budget is never listed (``app.cycles.models.CITY_CYCLES``). Every
    query of the API and the exports goes through it."""
    return CITY_CYCLES


def cycles_query():
    """Public cycles, newest first (then by id: a stable order for pages)."""
    return select(Cycle).where(city_cycle_clause()).order_by(Cycle.created_at.desc(), Cycle.id.desc())


def cycle_by_slug(slug: str) -> Cycle | None:
    if not slug or len(slug) > 80 or not slug.isascii() or not slug.isprintable():
        return None
    return db.session.scalar(select(Cycle).where(Cycle.slug == slug, city_cycle_clause()))


def districts_query():
    return select(District).order_by(District.name, District.id)


def categories_query():
    return select(Category).order_by(Category.slug, Category.id)


def proposal_conditions() -> list:
    """Listed on the web: a public status, not hidden by moderation, in a city cycle."""
    return [Proposal.status.in_(PUBLIC_STATUSES), Proposal.hidden_at.is_(None),
            Proposal.cycle_id.in_(select(Cycle.id).where(city_cycle_clause()))]


def public_proposal(proposal_id: int) -> Proposal | None:
    if not 1 <= proposal_id <= MAX_ID:
        return None
    return db.session.scalar(select(Proposal).where(Proposal.id == proposal_id, *proposal_conditions())
                             .options(selectinload(Proposal.history)))


def cycle_proposals(cycle: Cycle) -> list[Proposal]:
    return list(db.session.scalars(select(Proposal).where(Proposal.cycle_id == cycle.id, *proposal_conditions())
                                   .order_by(Proposal.id)).unique())


def public_run(cycle: Cycle):
    """The run whose results the public may read, or None."""
    return results_services.public_run(cycle)


def ballot_file_public(cycle: Cycle) -> bool:
    """The anonymised ballot files are published with the results, and never before voting has closed."""
    return public_run(cycle) is not None and results_services.voting_closed(cycle)


def last_modified(cycle: Cycle | None = None):
    """The latest change among the public proposals (of a cycle, or of all): the "modified" date of the datasets."""
    query = select(func.max(Proposal.updated_at)).where(*proposal_conditions())
    if cycle is not None:
        query = query.where(Proposal.cycle_id == cycle.id)
    latest = db.session.scalar(query)
    candidates = [as_utc(latest)] if latest else []
    if cycle is not None:
        candidates.append(as_utc(cycle.created_at))
        run = public_run(cycle)
        if run is not None and run.published_at:
            candidates.append(as_utc(run.published_at))
    return max(candidates) if candidates else None


# --- Presenters ---------------------------------------------------------------------------------------------------

def _when(value):
    return as_utc(value) if value is not None else None


def translations(row, name: str) -> dict:
    return {lang: getattr(row, f"{name}_{lang}") or "" for lang in ("fr", "en", "nl")}


def district_data(district: District | None) -> dict | None:
    if district is None:
        return None
    return {"id": district.id, "slug": district.slug, "name": district.name}


def category_data(category: Category | None) -> dict | None:
    if category is None:
        return None
    return {"id": category.id, "slug": category.slug, "name": category.name, "names": translations(category, "name"),
            "colour": category.colour, "icon": category.icon}


def rules_data(cycle: Cycle) -> dict | None:
    rules = db.session.scalar(select(BallotRules).where(BallotRules.cycle_id == cycle.id))
    if rules is None:
        return None
    return {"kind": str(rules.kind), "min_choices": rules.min_choices, "max_choices": rules.max_choices,
            "min_share_percent": rules.min_share_percent, "points_total": rules.points_total,
            "points_per_project": rules.points_per_project, "other_district": rules.other_district,
            "counting_rule": rules.counting_rule, "minimum_age": rules.minimum_age,
            "census_required": rules.census_required, "frozen": rules.frozen_at is not None}


def cycle_data(cycle: Cycle, links: dict) -> dict:
    phase = phase_of(cycle)
    return {
        "slug": cycle.slug, "title": cycle.title, "titles": translations(cycle, "title"),
        "description": cycle.description, "descriptions": translations(cycle, "description"),
        "total_budget_cents": cycle.total_budget_cents, "citywide_envelope_cents": cycle.citywide_envelope_cents,
        "support_threshold": cycle.support_threshold, "current_phase": str(phase) if phase else None,
        "phases": [{"kind": str(p.kind), "starts_at": _when(p.starts_at), "ends_at": _when(p.ends_at)}
                   for p in cycle.phases],
        "envelopes": [{"district": district_data(e.district), "amount_cents": e.amount_cents,
                       "has_voting": e.has_voting}
                      for e in sorted(cycle.envelopes, key=lambda e: (e.district.name, e.district_id))],
        "rules": rules_data(cycle),
        "results_published": public_run(cycle) is not None,
        "links": links,
    }


def proposal_data(proposal: Proposal, links: dict, detail: bool = False) -> dict:
    data = {
        "id": proposal.id, "cycle": proposal.cycle.slug, "title": proposal.title,
        "ballot_title": proposal.ballot_title or None, "ballot_summary": proposal.ballot_summary or None,
        "status": str(proposal.status), "district": district_data(proposal.district),
        "category": category_data(proposal.category),
        "author": proposal.author.public_name if proposal.author is not None else None,
        "latitude": proposal.latitude, "longitude": proposal.longitude, "address": proposal.address or None,
        "estimated_cost_cents": proposal.estimated_cost_cents,
        "city_cost_cents": proposal.city_cost_cents if proposal.status in COSTED else None,
        "public_reason": proposal.public_reason or None, "merged_into": proposal.merged_into_id,
        "supports_count": proposal.supports_count, "comments_count": proposal.comments_count,
        "submitted_at": _when(proposal.submitted_at), "updated_at": _when(proposal.updated_at),
        "links": links,
    }
    if detail:
        data["body"] = proposal.body
        data["history"] = [history_data(change) for change in proposal.history]
    return data


def history_data(change: StatusChange) -> dict:
    return {"at": _when(change.created_at), "from_status": change.from_status or None,
            "to_status": str(change.to_status), "reason": change.reason or None}


def results_data(cycle: Cycle, run, ballot_file_url) -> dict:
    """The published results of a cycle: the rule, turnout per channel, and each envelope as its results.json."""
    return {
        "cycle": cycle.slug, "rule": run.rule, "tie_breaking": run.tie_breaking,
        "comparison_rule": run.comparison_rule or None, "ballot_kind": run.ballot_kind,
        "published_at": _when(run.published_at), "voters": run.voters,
        "voters_by_channel": dict(sorted((run.voters_by_channel or {}).items())),
        "envelopes": [results_json(run, envelope, ballot_file_url(envelope.key))
                      for envelope in results_services.ordered_envelopes(run)],
    }


def tracking_data(cycle: Cycle) -> dict:
    items = sorted(tracking_services.outcomes(cycle), key=lambda o: o.proposal.id)
    items = [o for o in items if o.proposal.hidden_at is None]
    totals = tracking_services.totals(items)
    return {
        "cycle": cycle.slug,
        "totals": {"projects": totals.projects, "planned_cents": totals.planned_cents,
                   "spent_cents": totals.spent_cents, "by_status": {str(k): v for k, v in totals.counts.items()}},
        "items": [{
            "proposal_id": o.proposal.id, "title": o.proposal.display_title, "status": str(o.status),
            "progress": o.progress, "planned_cents": o.planned_cents, "spent_cents": o.spent_cents,
            "cancel_reason": (o.tracking.cancel_reason or None) if o.tracking is not None else None,
            "updates": [{"date": u.happened_on, "title": u.title, "body": u.body} for u in o.updates],
        } for o in items],
    }
