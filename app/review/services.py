"""The city's review of proposals: feasibility, cost, ballot text, staff notes, reviewers, merging, the ballot freeze.

Services take the acting user, flush, and leave the commit to the caller. Every status change goes through
``app.proposals.services.change_status`` (public history, audit, notifications to followers).
"""

from collections import Counter, defaultdict

from flask import current_app
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from app.accounts.models import User
from app.core import audit
from app.core.clock import utcnow
from app.core.csvfile import csv_text, euros_plain
from app.core.errors import NotAllowed, ServiceError
from app.core.notify import notify
from app.cycles.models import CITY_CYCLE_IDS, CITY_CYCLES, Cycle, District, PhaseKind
from app.cycles.phases import allows
from app.cycles.services import phase_of
from app.extensions import db
from app.proposals import services as proposal_services
from app.proposals.models import (
    BallotItem,
    Follow,
    Proposal,
    ProposalStatus,
    ReasonTemplate,
    Support,
)
from app.review.permissions import REVIEWER_ROLES, can

S = ProposalStatus
WAITING = (S.SUBMITTED, S.UNDER_REVIEW)
# Statuses from which a decision (feasible / not feasible) can be taken or revised.
DECIDABLE = (S.SUBMITTED, S.UNDER_REVIEW, S.FEASIBLE, S.NOT_FEASIBLE)
# Proposals that can be merged into another one, and proposals that can receive duplicates.
MERGEABLE = (S.SUBMITTED, S.UNDER_REVIEW, S.FEASIBLE, S.NOT_FEASIBLE)
MERGE_TARGETS = (S.SUBMITTED, S.UNDER_REVIEW, S.FEASIBLE)
# Statuses in which the city's cost and ballot text are public (the project went to the ballot).
ON_BALLOT_OR_AFTER = (S.FEASIBLE, S.SELECTED, S.NOT_SELECTED, S.IN_PROGRESS, S.DONE)

MAX_COST_CENTS = 100_000_000_000  # one billion euros: more is a typing mistake
TITLE_MAX = 150
SUMMARY_MAX = 500
REASON_MAX = 2000
NOTES_MAX = 10_000
EXCERPT_LENGTH = 300


# --- Rules shared by the actions -------------------------------------------------------------------------------------

def _require(actor, action: str, proposal=None, message=None) -> None:
    if not can(actor, action, proposal):
        raise NotAllowed(message or _l("You are not allowed to review this proposal."))


def _require_review_phase(proposal: Proposal) -> None:
    if not allows(phase_of(proposal.cycle), "review"):
        raise NotAllowed(_l("Review decisions can only be taken while the cycle is in its review phase."))


def is_frozen(cycle: Cycle) -> bool:
    return cycle.ballot_frozen_at is not None


def _require_not_frozen(cycle: Cycle) -> None:
    if is_frozen(cycle):
        raise NotAllowed(_l("The ballot of this cycle is frozen: projects, costs and ballot texts can no longer "
                            "change."))


def ballot_defaults(proposal: Proposal) -> tuple[str, str]:
    """The ballot title and summary to start from: what the review set, else the proposal's title and an excerpt."""
    from app.core.rendering import plain_excerpt

    return (proposal.ballot_title or proposal.title,
            proposal.ballot_summary or plain_excerpt(proposal.body, EXCERPT_LENGTH))


def below_threshold(proposal: Proposal) -> bool:
    threshold = proposal.cycle.support_threshold or 0
    return threshold > 0 and proposal.supports_count < threshold


# --- Review of one proposal ------------------------------------------------------------------------------------------

def start_review(actor, proposal: Proposal) -> None:
    """A submitted proposal is now being looked at by the city (public status "under review")."""
    _require(actor, "review", proposal)
    _require_review_phase(proposal)
    if proposal.status != S.SUBMITTED:
        raise ServiceError(_l("Only a submitted proposal can be put under review."))
    proposal_services.change_status(actor, proposal, S.UNDER_REVIEW)


def mark_feasible(actor, proposal: Proposal, cost_cents: int | None, ballot_title: str,
                  ballot_summary: str) -> None:
    """Feasible and on the ballot, with the city's cost (not the resident's estimate) and the ballot text.

    On a proposal already feasible this updates the cost and ballot text without a new history entry.
    """
    _require(actor, "review", proposal)
    _require_review_phase(proposal)
    _require_not_frozen(proposal.cycle)
    if proposal.status not in DECIDABLE:
        raise ServiceError(_l("This proposal cannot be reviewed in its current status."))
    if proposal.status != S.FEASIBLE and below_threshold(proposal):
        raise ServiceError(
            _l("This proposal has %(count)d supports, fewer than the %(threshold)d this cycle requires: it cannot "
               "go to the ballot. It can be marked not feasible with a reason.",
               count=proposal.supports_count, threshold=proposal.cycle.support_threshold))
    if cost_cents is None:
        raise ServiceError(_l("Please enter the city's cost estimate."), field="city_cost")
    if cost_cents <= 0 or cost_cents > MAX_COST_CENTS:
        raise ServiceError(_l("The cost must be more than 0 € and at most 1 billion €."), field="city_cost")
    ballot_title = (ballot_title or "").strip()
    ballot_summary = (ballot_summary or "").strip()
    if not ballot_title:
        raise ServiceError(_l("Please enter the title shown on the ballot."), field="ballot_title")
    if len(ballot_title) > TITLE_MAX:
        raise ServiceError(_l("The ballot title must have at most %(max)d characters.", max=TITLE_MAX),
                           field="ballot_title")
    if len(ballot_summary) > SUMMARY_MAX:
        raise ServiceError(_l("The ballot summary must have at most %(max)d characters.", max=SUMMARY_MAX),
                           field="ballot_summary")
    before = {"city_cost_cents": proposal.city_cost_cents, "ballot_title": proposal.ballot_title,
              "ballot_summary": proposal.ballot_summary}
    proposal.city_cost_cents = cost_cents
    proposal.ballot_title = ballot_title
    proposal.ballot_summary = ballot_summary
    proposal.public_reason = ""
    if proposal.status == S.FEASIBLE:
        audit.record(actor, "proposal.review_updated", proposal, before=before, city_cost_cents=cost_cents,
                     ballot_title=ballot_title)
        db.session.flush()
    else:
        proposal_services.change_status(actor, proposal, S.FEASIBLE)


def reason_text(template: ReasonTemplate, locale: str | None = None) -> str:
    locale = locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    for code in (locale, "fr", "en"):
        value = getattr(template, f"text_{code}", "")
        if value:
            return value
    return ""


def mark_not_feasible(actor, proposal: Proposal, reason: str = "", template: ReasonTemplate | None = None) -> None:
    """Not feasible, with a public reason: a template (in the city's default language), free text, or both
    (the free text then follows the template). The reason goes in ``public_reason`` and the status history.
    Once the ballot is frozen, a project on it cannot be taken off, but a proposal still waiting can be closed."""
    _require(actor, "review", proposal)
    _require_review_phase(proposal)
    if proposal.status == S.FEASIBLE:
        _require_not_frozen(proposal.cycle)
    if proposal.status not in DECIDABLE:
        raise ServiceError(_l("This proposal cannot be reviewed in its current status."))
    parts = [reason_text(template) if template is not None else "", (reason or "").strip()]
    text = "\n\n".join(part for part in parts if part)
    if not text:
        raise ServiceError(_l("Please choose a reason or write one: residents are told why."), field="reason")
    if len(text) > REASON_MAX:
        raise ServiceError(_l("The reason must have at most %(max)d characters.", max=REASON_MAX), field="reason")
    if proposal.status == S.NOT_FEASIBLE and proposal.public_reason == text:
        return
    proposal.public_reason = text
    proposal_services.change_status(actor, proposal, S.NOT_FEASIBLE, reason=text)


def set_staff_notes(actor, proposal: Proposal, notes: str) -> None:
    """Notes for staff only, editable at any time (they never change the ballot)."""
    _require(actor, "notes", proposal)
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise ServiceError(_l("The notes must have at most %(max)d characters.", max=NOTES_MAX), field="notes")
    if notes == proposal.staff_notes:
        return
    proposal.staff_notes = notes
    audit.record(actor, "proposal.staff_notes_changed", proposal, length=len(notes))
    db.session.flush()


def assign_reviewer(actor, proposal: Proposal, reviewer: User | None) -> None:
    """An official gives the proposal to a reviewer (an official or a moderator), or takes it back (None)."""
    _require(actor, "assign", proposal, _l("Only an official can assign reviewers."))
    if reviewer is not None and reviewer.role not in REVIEWER_ROLES:
        raise ServiceError(_l("A reviewer must be a city official or a moderator."), field="reviewer")
    new_id = reviewer.id if reviewer is not None else None
    if proposal.reviewer_id == new_id:
        return
    before = proposal.reviewer_id
    proposal.reviewer_id = new_id
    audit.record(actor, "proposal.reviewer_assigned", proposal, before=before, after=new_id)
    if reviewer is not None and reviewer.id != actor.id:
        notify(reviewer, "review.assigned",
               lambda: gettext("You have been asked to review “%(title)s”.", title=proposal.title),
               link=_review_link(proposal))
    db.session.flush()


def _review_link(proposal: Proposal) -> str:
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for("review.proposal", proposal_id=proposal.id, _external=True)
    except (BuildError, RuntimeError):
        return ""


# --- Merging ---------------------------------------------------------------------------------------------------------

def merge(actor, target: Proposal, duplicates: list[Proposal]) -> None:
    """Merge duplicates into ``target``.

    Each duplicate becomes "merged" (history entry pointing to the target, its followers notified by
    ``change_status``), points to the target, and its author becomes a co-author of the target. Its supporters and
    followers follow the target (keeping their email choice). Supports are not moved: a support was given to one
    text during the submission phase, and the target's count is what the support threshold judges. Supporters who
    did not follow the duplicate and its author are told too.
    """
    _require(actor, "merge", target, _l("Only an official can merge proposals."))
    if not allows(phase_of(target.cycle), "merge"):
        raise NotAllowed(_l("Proposals can only be merged during the submission and review phases."))
    _require_not_frozen(target.cycle)
    if not duplicates:
        raise ServiceError(_l("Please give at least one proposal to merge."), field="duplicates")
    if target.status == S.MERGED or target.merged_into_id is not None:
        raise ServiceError(_l("This proposal has itself been merged: merge into the project it was merged into."),
                           field="duplicates")
    if target.status not in MERGE_TARGETS:
        raise ServiceError(_l("Proposals can only be merged into a submitted, under review or feasible project."),
                           field="duplicates")
    ancestors = _merge_chain(target)
    seen = set()
    for duplicate in duplicates:
        if duplicate.id == target.id:
            raise ServiceError(_l("A proposal cannot be merged into itself."), field="duplicates")
        if duplicate.id in seen:
            raise ServiceError(_l("Proposal no. %(number)d is given twice.", number=duplicate.id), field="duplicates")
        seen.add(duplicate.id)
        if duplicate.cycle_id != target.cycle_id:
            raise ServiceError(_l("Proposal no. %(number)d belongs to another cycle: only proposals of the same "
                                  "cycle can be merged.", number=duplicate.id), field="duplicates")
        if duplicate.id in ancestors:
            raise ServiceError(_l("Proposal no. %(number)d already contains this one: merging would make a loop.",
                                  number=duplicate.id), field="duplicates")
        if duplicate.status == S.MERGED:
            raise ServiceError(_l("Proposal no. %(number)d has already been merged.", number=duplicate.id),
                               field="duplicates")
        if duplicate.status not in MERGEABLE:
            raise ServiceError(_l("Proposal no. %(number)d cannot be merged in its current status (%(status)s).",
                                  number=duplicate.id, status=proposal_services.status_label(duplicate.status)),
                               field="duplicates")
    target_url = proposal_services.proposal_url(target)
    for duplicate in duplicates:
        _merge_one(actor, target, duplicate, target_url)
    audit.record(actor, "proposal.merged", target, merged=[d.id for d in duplicates])
    db.session.flush()


def _merge_chain(proposal: Proposal) -> set[int]:
    """Ids of the proposals ``proposal`` points to through ``merged_into`` (guarded against corrupt loops)."""
    chain, current = set(), proposal.merged_into
    while current is not None and current.id not in chain:
        chain.add(current.id)
        current = current.merged_into
    return chain


def _merge_one(actor, target: Proposal, duplicate: Proposal, target_url: str) -> None:
    already_told = {user.id for user, _by_email in proposal_services.followers(duplicate)}
    duplicate.merged_into_id = target.id
    duplicate.merged_into = target
    # The history entry links to the target: its title and address, the same in every language.
    proposal_services.change_status(actor, duplicate, S.MERGED, reason=f"“{target.title}” {target_url}")
    if duplicate.author_id is not None:
        proposal_services.add_coauthor(target, duplicate.author_id)
    target_follows = dict(db.session.execute(
        select(Follow.user_id, Follow.by_email).where(Follow.proposal_id == target.id)).all())
    people = dict(db.session.execute(
        select(Follow.user_id, Follow.by_email).where(Follow.proposal_id == duplicate.id)).all())
    supporters = db.session.scalars(select(Support.user_id).where(Support.proposal_id == duplicate.id)).all()
    for user_id in supporters:
        people.setdefault(user_id, False)
    if duplicate.author_id is not None:
        people.setdefault(duplicate.author_id, False)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(people)))} if people else {}
    for user_id, by_email in people.items():
        if user_id not in target_follows and user_id in users and user_id != target.author_id:
            proposal_services.follow(users[user_id], target, by_email=by_email)
    for user_id in people:
        if user_id in already_told or user_id not in users:
            continue
        notify(users[user_id], "proposal.status",
               lambda: gettext("“%(title)s” has been merged into “%(target)s”. You now follow that project.",
                               title=duplicate.title, target=target.display_title),
               link=target_url, email=people[user_id])


# --- Reason templates ------------------------------------------------------------------------------------------------

def reason_templates() -> list[ReasonTemplate]:
    return list(db.session.scalars(select(ReasonTemplate).order_by(ReasonTemplate.id)))


def save_reason_template(actor, values: dict, template: ReasonTemplate | None = None) -> ReasonTemplate:
    """``values``: text_fr (required), text_en, text_nl."""
    _require(actor, "reasons", message=_l("Only an official can manage reason templates."))
    cleaned = {key: (values.get(key) or "").strip() for key in ("text_fr", "text_en", "text_nl")}
    if not cleaned["text_fr"]:
        raise ServiceError(_l("Please write the reason in French."), field="text_fr")
    for key, value in cleaned.items():
        if len(value) > 500:
            raise ServiceError(_l("A reason must have at most %(max)d characters.", max=500), field=key)
    created = template is None
    if created:
        template = ReasonTemplate()
        db.session.add(template)
    for key, value in cleaned.items():
        setattr(template, key, value)
    db.session.flush()
    audit.record(actor, "reason_template.created" if created else "reason_template.updated", template)
    return template


def delete_reason_template(actor, template: ReasonTemplate) -> None:
    """Reasons already given stay on the proposals (they are copied into ``public_reason``)."""
    _require(actor, "reasons", message=_l("Only an official can manage reason templates."))
    audit.record(actor, "reason_template.deleted", template, text_fr=template.text_fr)
    db.session.delete(template)
    db.session.flush()


# --- Dashboard -------------------------------------------------------------------------------------------------------

def default_cycle() -> Cycle | None:
    """The cycle the dashboard opens on: the newest one in review, else the newest one."""
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES)
                                 .order_by(Cycle.created_at.desc(), Cycle.id.desc())).all()
    for cycle in cycles:
        if phase_of(cycle) == PhaseKind.REVIEW:
            return cycle
    return cycles[0] if cycles else None


def status_counts(cycle: Cycle) -> dict[ProposalStatus, int]:
    rows = db.session.execute(select(Proposal.status, func.count()).where(Proposal.cycle_id == cycle.id)
                              .group_by(Proposal.status)).all()
    return {ProposalStatus(status): count for status, count in rows if status != S.DRAFT}


def district_counts(cycle: Cycle) -> list[dict]:
    """One row per district that has an envelope or proposals in the cycle (plus city-wide), with counts."""
    rows = db.session.execute(
        select(Proposal.district_id, Proposal.status, func.count()).where(Proposal.cycle_id == cycle.id,
                                                                          Proposal.status != S.DRAFT)
        .group_by(Proposal.district_id, Proposal.status)).all()
    per_district: dict[int | None, Counter] = defaultdict(Counter)
    for district_id, status, count in rows:
        per_district[district_id][ProposalStatus(status)] += count
    envelopes = {e.district_id: e for e in cycle.envelopes}
    ids = (set(per_district) | set(envelopes)) - {None}
    districts = db.session.scalars(select(District).where(District.id.in_(ids)).order_by(District.name)).all()
    result = []
    for district in districts:
        result.append(_district_row(district.name, per_district[district.id], envelopes.get(district.id)))
    if None in per_district or cycle.citywide_envelope_cents is not None:
        result.append(_district_row(None, per_district[None], None, cycle.citywide_envelope_cents))
    return result


def _district_row(name, counts: Counter, envelope, amount_cents=None) -> dict:
    return {
        "name": name,
        "envelope_cents": envelope.amount_cents if envelope is not None else amount_cents,
        "has_voting": envelope.has_voting if envelope is not None else amount_cents is not None,
        "total": sum(counts.values()),
        "waiting": sum(counts[s] for s in WAITING),
        "feasible": counts[S.FEASIBLE],
        "not_feasible": counts[S.NOT_FEASIBLE],
        "merged": counts[S.MERGED],
    }


def review_query(cycle: Cycle | None, *, district=None, category_id: int | None = None, status: str = "waiting",
                 reviewer_id: int | None = None):
    """The review list: ``district`` is None (all), "citywide" or a district id; ``status`` is "waiting", "all"
    or a status value (drafts are never listed)."""
    query = select(Proposal).where(Proposal.status != S.DRAFT, Proposal.cycle_id.in_(CITY_CYCLE_IDS))
    if cycle is not None:
        query = query.where(Proposal.cycle_id == cycle.id)
    if district == "citywide":
        query = query.where(Proposal.district_id.is_(None))
    elif district is not None:
        query = query.where(Proposal.district_id == district)
    if category_id:
        query = query.where(Proposal.category_id == category_id)
    if status == "waiting":
        query = query.where(Proposal.status.in_(WAITING))
    elif status != "all":
        query = query.where(Proposal.status == ProposalStatus(status))
    if reviewer_id is not None:
        query = query.where(Proposal.reviewer_id == reviewer_id)
    return query.options(selectinload(Proposal.reviewer)).order_by(Proposal.submitted_at.asc(), Proposal.id.asc())


def export_csv(actor, query) -> str:
    """The filtered review list as CSV for staff: costs and staff notes, never an email address."""
    _require(actor, "export", message=_l("Only staff can export the review list."))
    header = [gettext("Number"), gettext("Title"), gettext("Status"), gettext("District"),
              gettext("Category"), gettext("Author"), gettext("Supports"),
              gettext("Resident's estimate (€)"), gettext("City cost (€)"), gettext("Ballot title"),
              gettext("Ballot summary"), gettext("Reviewer"), gettext("Public reason"),
              gettext("Merged into"), gettext("Staff notes"), gettext("Submitted on")]
    rows = [
        (
            proposal.id, proposal.title, proposal_services.status_label(proposal.status),
            proposal.district.name if proposal.district else gettext("City-wide"),
            proposal.category.name if proposal.category else "",
            proposal.author.display_name if proposal.author else "",
            proposal.supports_count, euros_plain(proposal.estimated_cost_cents),
            euros_plain(proposal.city_cost_cents), proposal.ballot_title, proposal.ballot_summary,
            proposal.reviewer.display_name if proposal.reviewer else "", proposal.public_reason,
            proposal.merged_into_id or "", proposal.staff_notes,
            proposal.submitted_at.date().isoformat() if proposal.submitted_at else "",
        )
        for proposal in db.session.scalars(query)
    ]
    audit.record(actor, "review.exported", None, rows=len(rows))
    return csv_text(header, rows)


def reviewers() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role.in_(REVIEWER_ROLES))
                                   .order_by(User.role.desc(), User.display_name, User.id)))


def similar_proposals(proposal: Proposal, limit: int = 10) -> list[Proposal]:
    """Candidates for merging into ``proposal``: same cycle, same district or category, not yet merged."""
    query = (select(Proposal).where(Proposal.cycle_id == proposal.cycle_id, Proposal.id != proposal.id,
                                    Proposal.status.in_(MERGEABLE)))
    same = []
    if proposal.district_id is not None:
        same.append(Proposal.district_id == proposal.district_id)
    else:
        same.append(Proposal.district_id.is_(None))
    if proposal.category_id is not None:
        same.append(Proposal.category_id == proposal.category_id)
    return list(db.session.scalars(query.where(or_(*same)).order_by(Proposal.id).limit(limit)))


# --- Voting readiness and the ballot freeze --------------------------------------------------------------------------

def voting_readiness(cycle: Cycle) -> list[str]:
    """What prevents voting from opening, as translated messages; an empty list when the cycle is ready.

    Every envelope that has voting needs at least one feasible project (a district envelope with ``has_voting``,
    and the city-wide envelope when the cycle has one; a project's envelope is its district, none = city-wide),
    and every feasible project needs the city's cost.
    """
    feasible = db.session.scalars(select(Proposal).where(Proposal.cycle_id == cycle.id,
                                                         Proposal.status == S.FEASIBLE)
                                  .order_by(Proposal.id)).all()
    per_envelope = Counter(p.district_id for p in feasible)
    problems = []
    for envelope in sorted(cycle.envelopes, key=lambda e: e.district.name):
        if envelope.has_voting and per_envelope[envelope.district_id] == 0:
            problems.append(gettext("No feasible project yet for the district %(district)s.",
                                    district=envelope.district.name))
    if cycle.citywide_envelope_cents is not None and per_envelope[None] == 0:
        problems.append(gettext("No feasible city-wide project yet."))
    missing = [p for p in feasible if p.city_cost_cents is None]
    if missing:
        problems.append(ngettext("%(num)d feasible project has no cost set by the city: %(titles)s.",
                                 "%(num)d feasible projects have no cost set by the city: %(titles)s.",
                                 len(missing), titles=", ".join(f"“{p.title}”" for p in missing[:5])))
    return problems


class BallotNotReady(ServiceError):
    def __init__(self, problems: list[str]):
        super().__init__(_l("The ballot cannot be frozen yet."))
        self.problems = problems


def freeze_ballot(actor, cycle: Cycle) -> bool:
    """Copy every feasible project (title, summary, city cost, district) to the ballot and freeze it.

    Idempotent: returns False when the ballot was already frozen. ``actor`` None is the worker (system).
    """
    if actor is not None:
        _require(actor, "freeze", message=_l("Only an official can freeze the ballot."))
    if is_frozen(cycle):
        return False
    feasible = db.session.scalars(select(Proposal).where(Proposal.cycle_id == cycle.id,
                                                         Proposal.status == S.FEASIBLE)
                                  .order_by(Proposal.id)).all()
    if any(p.city_cost_cents is None for p in feasible):
        raise BallotNotReady(voting_readiness(cycle))
    now = utcnow()
    # Only one freeze can flip the date, even with a worker and an official at the same moment.
    flipped = db.session.execute(update(Cycle).where(Cycle.id == cycle.id, Cycle.ballot_frozen_at.is_(None))
                                 .values(ballot_frozen_at=now).execution_options(synchronize_session=False)).rowcount
    if flipped != 1:
        db.session.refresh(cycle, ["ballot_frozen_at"])
        return False
    cycle.ballot_frozen_at = now
    for proposal in feasible:
        db.session.add(BallotItem(cycle_id=cycle.id, proposal_id=proposal.id, district_id=proposal.district_id,
                                  title=proposal.ballot_title or proposal.title, summary=proposal.ballot_summary,
                                  cost_cents=proposal.city_cost_cents))
    from app.callcenter.services import voting_opened  # callers linked to these projects get a callback task

    voting_opened(feasible)
    audit.record(actor, "cycle.ballot_frozen", cycle, channel="web" if actor is not None else "worker",
                 items=len(feasible))
    db.session.flush()
    return True


def freeze_when_ready(actor, cycle: Cycle) -> bool:
    """The officials' "Freeze the ballot" action: in the review or voting phase, and only when ready."""
    _require(actor, "freeze", message=_l("Only an official can freeze the ballot."))
    if is_frozen(cycle):
        return False
    phase = phase_of(cycle)
    if not (allows(phase, "review") or allows(phase, "vote")):
        raise NotAllowed(_l("The ballot can only be frozen during the review or voting phase."))
    problems = voting_readiness(cycle)
    if problems:
        raise BallotNotReady(problems)
    return freeze_ballot(actor, cycle)


def freeze_due_ballots(now=None) -> list[Cycle]:
    """For the worker: freeze the ballot of every cycle whose voting phase is open. Returns the cycles frozen.

    A cycle that cannot be frozen (a feasible project without a cost) is left as it is and logged; the caller
    commits.
    """
    frozen = []
    for cycle in db.session.scalars(select(Cycle).where(Cycle.ballot_frozen_at.is_(None)).order_by(Cycle.id)).all():
        if phase_of(cycle, now) != PhaseKind.VOTING:
            continue
        try:
            with db.session.begin_nested():
                done = freeze_ballot(None, cycle)
        except ServiceError:
            current_app.logger.warning("Ballot of cycle %s not frozen: a feasible project has no cost", cycle.id)
            continue
        if done:
            frozen.append(cycle)
    return frozen


def ballot_items(cycle: Cycle) -> list[BallotItem]:
    return list(db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)
                                   .order_by(BallotItem.id)))
