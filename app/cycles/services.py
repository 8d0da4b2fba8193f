"""Budget cycles: what phase they are in now, and what officials do with them.

Services take the acting user, validate everything before changing anything, flush, and leave the commit to the
caller. Dates arrive and are stored in UTC; the forms convert from and to the city's time zone.
"""

import functools
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext, lazy_ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.core import audit, copies
from app.core.clock import as_utc, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.i18n import euros
from app.cycles.models import CITY_CYCLES, Category, Cycle, District, Envelope, Phase, PhaseKind
from app.cycles.phases import PhaseWindow, allows, current_phase, timeline, windows
from app.extensions import db

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")
MAX_REASON = 500

PHASE_LABELS = {
    PhaseKind.SUBMISSION: _l("Submission of ideas"),
    PhaseKind.REVIEW: _l("Review by the city"),
    PhaseKind.VOTING: _l("Vote"),
    PhaseKind.RESULTS: _l("Results"),
    PhaseKind.IMPLEMENTATION: _l("Carrying out the projects"),
    PhaseKind.CLOSED: _l("Closed"),
}


def phase_label(kind) -> str:
    """The human name of a phase in the reader's language ("" for no phase)."""
    if kind is None or kind == "":
        return ""
    return str(PHASE_LABELS[PhaseKind(kind)])


# --- Reading -------------------------------------------------------------------------------------------------------


def phase_of(cycle: Cycle, now=None) -> PhaseKind | None:
    """The cycle's phase now (city time rules are in the dates; they are stored in UTC)."""
    return current_phase(cycle.phases, now or utcnow())


def cycle_allows(cycle: Cycle, action: str, now=None) -> bool:
    return allows(phase_of(cycle, now), action)


def cycle_state(cycle: Cycle, now=None) -> str:
    """"upcoming" before the first phase starts, "past" once closed, "open" otherwise (also between two phases)."""
    now = as_utc(now or utcnow())
    phase = phase_of(cycle, now)
    if phase == PhaseKind.CLOSED:
        return "past"
    spans = windows(cycle.phases)
    if not spans or now < spans[0].starts_at:
        return "upcoming"
    return "open"


def open_cycles(now=None) -> list[Cycle]:
    """Cycles whose current phase is not closed (and that have started), newest first."""
    now = now or utcnow()
    cycles = db.session.scalars(select(Cycle).where(CITY_CYCLES).order_by(Cycle.created_at.desc())).all()
    return [c for c in cycles if cycle_state(c, now) == "open"]


def cycles_by_state(now=None) -> dict[str, list[Cycle]]:
    """Every cycle grouped for the public list: open, upcoming and past, each newest first."""
    now = now or utcnow()
    groups: dict[str, list[Cycle]] = {"open": [], "upcoming": [], "past": []}
    for cycle in db.session.scalars(select(Cycle).where(CITY_CYCLES)
                                   .order_by(Cycle.created_at.desc(), Cycle.id.desc())):
        groups[cycle_state(cycle, now)].append(cycle)
    return groups


@functools.cache
def _by_slug():
    """Built once, on first use (building a statement and its cache key costs more than running it; at import time
    the loader options would configure the mappers before every model module is imported)."""
    return (select(Cycle).where(Cycle.slug == bindparam("slug"), CITY_CYCLES)
            .options(joinedload(Cycle.phases), joinedload(Cycle.envelopes)))


def get_cycle_by_slug(slug: str, max_age: float = 0) -> Cycle | None:
    """The city cycle (never a school's budget) with its phases and envelopes, in one statement (every page of a
    cycle reads them; loaded separately they cost two more).

    ``max_age`` (seconds): the ballot's pages, read by every voter, may take this process's copy of the cycle if it
    was read less than that long ago (``app.core.copies``). The copy is shared by the process's threads and belongs
    to no session: read it, never change it nor hand it to the session (a write needs the cycle read with
    ``max_age=0``). Whatever is decided from the dates (is voting open?) is still decided at each request against
    the server's clock; what a copy may miss is an official's edit committed in another process less than
    ``max_age`` seconds ago. 0 reads the cycle now."""
    slug = slug[:80]
    if max_age > 0:
        copy = _cycle_copies.get(slug, max_age)
        if copy is not None:
            return copy
    read_at = copies.now()
    cycle = db.session.scalars(_by_slug(), {"slug": slug}).unique().first()
    if max_age > 0 and cycle is not None:
        _cycle_copies.put(slug, copies.detached(cycle), read_at)
    return cycle


_cycle_copies = copies.ProcessCopies((Cycle, Phase, Envelope, District))


def phase_row(cycle: Cycle, kind: PhaseKind) -> Phase | None:
    return next((p for p in cycle.phases if PhaseKind(p.kind) == kind), None)


def current_window(cycle: Cycle, now=None) -> PhaseWindow | None:
    kind = phase_of(cycle, now)
    return next((w for w in windows(cycle.phases) if w.kind == kind), None) if kind else None


def upcoming_window(cycle: Cycle, now=None) -> PhaseWindow | None:
    """The next phase to start after ``now``."""
    now = as_utc(now or utcnow())
    return next((w for w in windows(cycle.phases) if w.starts_at > now), None)


@dataclass(frozen=True)
class TimelineStep:
    kind: PhaseKind
    label: str
    starts_at: datetime
    ends_at: datetime | None
    state: str  # "past", "current", "next" (the first phase still to come) or "future"


def cycle_timeline(cycle: Cycle, now=None) -> list[TimelineStep]:
    """The cycle's phases in order, each with its state for a timeline."""
    steps, seen_next = [], False
    for window, state in timeline(cycle.phases, now or utcnow()):
        if state == "future" and not seen_next:
            state, seen_next = "next", True
        steps.append(TimelineStep(window.kind, phase_label(window.kind), window.starts_at, window.ends_at, state))
    return steps


def allocated_cents(cycle: Cycle) -> int:
    return (cycle.citywide_envelope_cents or 0) + sum(e.amount_cents for e in cycle.envelopes)


# --- Checks shared by the forms and the services -------------------------------------------------------------------


def slug_problem(slug: str) -> str | None:
    if not slug or not SLUG_RE.match(slug):
        return gettext("Use lower-case letters without accents, digits and hyphens, for example “budget-2026”.")
    return None


def phase_problems(dates: dict[PhaseKind, tuple[datetime | None, datetime | None]]) -> list[tuple[str, str]]:
    """Problems with a cycle's phase dates, as (field name, message). ``dates`` maps each kind to (start, end).

    Phases must come in their order, each ending after it starts, without overlapping; the closed phase has no end.
    A missing end means "when the next phase starts" (see ``complete_phase_dates``).
    """
    problems = []
    previous_kind, previous_end = None, None
    for kind in PhaseKind:
        start, end = dates.get(kind, (None, None))
        if start is None:
            problems.append((f"{kind.value}_starts", gettext("Please give the start of this phase.")))
            previous_kind, previous_end = kind, end
            continue
        if kind == PhaseKind.CLOSED and end is not None:
            problems.append((f"{kind.value}_starts", gettext("The closed phase has no end.")))
        if end is not None and end <= start:
            problems.append((f"{kind.value}_ends", gettext("This phase must end after it starts.")))
        if previous_end is not None and start < previous_end:
            problems.append((f"{kind.value}_starts",
                             gettext("This phase must start once the previous phase (%(phase)s) has ended.",
                                     phase=phase_label(previous_kind))))
        previous_kind, previous_end = kind, end if end is not None else start
    return problems


def complete_phase_dates(dates: dict) -> dict[PhaseKind, tuple[datetime | None, datetime | None]]:
    """Fill each missing end (except the closed phase's) with the next phase's start; make everything UTC."""
    kinds = list(PhaseKind)
    result = {}
    for index, kind in enumerate(kinds):
        start, end = dates.get(kind, (None, None))
        start = as_utc(start) if start else None
        end = as_utc(end) if end else None
        if end is None and kind != PhaseKind.CLOSED:
            following = dates.get(kinds[index + 1], (None, None))[0]
            end = as_utc(following) if following else None
        result[kind] = (start, end if kind != PhaseKind.CLOSED else None)
    return result


def budget_problems(total_cents: int | None, citywide_cents: int | None,
                    envelope_cents: list[int]) -> list[tuple[str, str]]:
    if total_cents is None:
        return []
    allocated = (citywide_cents or 0) + sum(envelope_cents)
    if allocated > total_cents:
        return [("total_budget", gettext(
            "The envelopes add up to %(allocated)s, more than the total budget of %(total)s.",
            allocated=euros(allocated), total=euros(total_cents)))]
    return []


# --- Cycles --------------------------------------------------------------------------------------------------------


@dataclass
class EnvelopeValue:
    district: District
    amount_cents: int
    has_voting: bool = True


@dataclass
class CycleValues:
    """Validated values of a cycle, as the form (or a script) gives them. Dates are aware datetimes."""

    slug: str
    title_fr: str
    total_budget_cents: int
    phases: dict  # PhaseKind -> (starts_at, ends_at or None)
    title_en: str = ""
    title_nl: str = ""
    description_fr: str = ""
    description_en: str = ""
    description_nl: str = ""
    citywide_envelope_cents: int | None = None
    support_threshold: int = 0
    envelopes: list = None  # list[EnvelopeValue]; districts left out have no envelope


def _require_official(actor) -> None:
    from app.cycles.permissions import can

    if not can(actor, "cycle.manage"):
        raise NotAllowed(_l("Only a city official can manage budget cycles."))


def voting_readiness_check():
    """The review feature's ``voting_readiness(cycle)``, or None while that feature does not provide it.

    Imported when needed (not at module level) so that the review services may import this module.
    """
    try:
        from app.review.services import voting_readiness
    except ImportError as error:
        if error.name not in ("app.review.services", "app.review"):
            raise
        return None
    return voting_readiness


def _check_voting_can_open(cycle: Cycle, field: str | None = None) -> None:
    check = voting_readiness_check()
    if check is None:
        return
    problems = [str(p) for p in (check(cycle) or [])]
    if problems:
        raise ServiceError(_l("Voting cannot open yet: %(problems)s", problems=" ".join(problems)), field=field)


def _snapshot(cycle: Cycle) -> dict:
    """What an audit entry records about a cycle (descriptions by length only, to keep the log readable)."""
    return {
        "slug": cycle.slug,
        "title_fr": cycle.title_fr,
        "title_en": cycle.title_en,
        "title_nl": cycle.title_nl,
        "description_fr": len(cycle.description_fr or ""),
        "description_en": len(cycle.description_en or ""),
        "description_nl": len(cycle.description_nl or ""),
        "total_budget_cents": cycle.total_budget_cents,
        "citywide_envelope_cents": cycle.citywide_envelope_cents,
        "support_threshold": cycle.support_threshold,
        "envelopes": {e.district.slug if e.district else str(e.district_id): [e.amount_cents, e.has_voting]
                      for e in sorted(cycle.envelopes, key=lambda e: e.district_id)},
        "phases": {PhaseKind(p.kind).value: [as_utc(p.starts_at).isoformat(),
                                             as_utc(p.ends_at).isoformat() if p.ends_at else None]
                   for p in cycle.phases},
    }


def _validate(values: CycleValues, cycle: Cycle | None) -> dict:
    slug = (values.slug or "").strip()
    problem = slug_problem(slug)
    if problem:
        raise ServiceError(problem, field="slug")
    taken = select(Cycle.id).where(Cycle.slug == slug)
    if cycle is not None:
        taken = taken.where(Cycle.id != cycle.id)
    if db.session.scalar(taken) is not None:
        raise ServiceError(_l("Another budget cycle already uses this address."), field="slug")
    if not (values.title_fr or "").strip():
        raise ServiceError(_l("Please give a title in French."), field="title_fr")
    if values.total_budget_cents is None or values.total_budget_cents < 0:
        raise ServiceError(_l("Please give the total budget."), field="total_budget")
    if values.citywide_envelope_cents is not None and values.citywide_envelope_cents < 0:
        raise ServiceError(_l("An amount cannot be negative."), field="citywide_envelope")
    if values.support_threshold is None or values.support_threshold < 0:
        raise ServiceError(_l("The threshold cannot be negative."), field="support_threshold")
    envelopes = values.envelopes or []
    if len({e.district.id for e in envelopes}) != len(envelopes):
        raise ServiceError(_l("Each district can have only one envelope."))
    if any(e.amount_cents < 0 for e in envelopes):
        raise ServiceError(_l("An amount cannot be negative."))
    for field, message in budget_problems(values.total_budget_cents, values.citywide_envelope_cents,
                                          [e.amount_cents for e in envelopes]):
        raise ServiceError(message, field=field)
    dates = complete_phase_dates(values.phases or {})
    for field, message in phase_problems(dates):
        raise ServiceError(message, field=field)
    if cycle is not None and cycle.ballot_frozen_at is not None:
        money_before = (cycle.total_budget_cents, cycle.citywide_envelope_cents,
                        sorted((e.district_id, e.amount_cents, e.has_voting) for e in cycle.envelopes))
        money_after = (values.total_budget_cents, values.citywide_envelope_cents,
                       sorted((e.district.id, e.amount_cents, e.has_voting) for e in envelopes))
        if money_before != money_after:
            raise ServiceError(_l("The ballot is frozen: the budget and the envelopes can no longer change."),
                               field="total_budget")
    return dates


def _opens_voting(cycle: Cycle | None, dates: dict) -> bool:
    """Whether these dates put the cycle in the voting phase now when it was not (new dates are a way to move on)."""
    now = utcnow()
    new_windows = [PhaseWindow(kind, start, end) for kind, (start, end) in dates.items()]
    before = phase_of(cycle, now) if cycle is not None else None
    return current_phase(new_windows, now) == PhaseKind.VOTING and before != PhaseKind.VOTING


def _apply(cycle: Cycle, values: CycleValues, dates: dict) -> None:
    cycle.slug = values.slug.strip()
    for name in ("title_fr", "title_en", "title_nl", "description_fr", "description_en", "description_nl"):
        setattr(cycle, name, (getattr(values, name) or "").strip())
    cycle.total_budget_cents = values.total_budget_cents
    cycle.citywide_envelope_cents = values.citywide_envelope_cents
    cycle.support_threshold = values.support_threshold

    wanted = {e.district.id: e for e in values.envelopes or []}
    for envelope in list(cycle.envelopes):
        if envelope.district_id not in wanted:
            cycle.envelopes.remove(envelope)
    existing = {e.district_id: e for e in cycle.envelopes}
    for district_id, value in wanted.items():
        envelope = existing.get(district_id)
        if envelope is None:
            cycle.envelopes.append(Envelope(district=value.district, amount_cents=value.amount_cents,
                                            has_voting=value.has_voting))
        else:
            envelope.amount_cents, envelope.has_voting = value.amount_cents, value.has_voting

    for kind, (start, end) in dates.items():
        row = phase_row(cycle, kind)
        if row is None:
            cycle.phases.append(Phase(kind=kind, starts_at=start, ends_at=end))
        else:
            row.starts_at, row.ends_at = start, end


def save_cycle(actor, values: CycleValues, cycle: Cycle | None = None) -> Cycle:
    """Create a cycle (``cycle`` None) or update one: its texts, money, envelopes and phase dates, all or nothing."""
    _require_official(actor)
    dates = _validate(values, cycle)
    opens_voting = _opens_voting(cycle, dates)
    before = _snapshot(cycle) if cycle is not None else None
    creating = cycle is None
    try:
        # Changes happen inside a savepoint: a refusal below undoes all of them, not only part.
        with db.session.begin_nested():
            if creating:
                cycle = Cycle(slug=values.slug.strip(), title_fr="", total_budget_cents=0)
                db.session.add(cycle)
            _apply(cycle, values, dates)
            db.session.flush()
            if opens_voting:
                _check_voting_can_open(cycle, field="voting_starts")
    except IntegrityError:
        raise ServiceError(_l("Another budget cycle already uses this address."), field="slug")
    if creating:
        audit.record(actor, "cycle.created", cycle, **_snapshot(cycle))
    else:
        after = _snapshot(cycle)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        audit.record(actor, "cycle.updated", cycle, changes=changes)
    return cycle


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Please give the reason: it is kept in the audit log."), field="reason")
    if len(reason) > MAX_REASON:
        raise ServiceError(_l("The reason must have at most %(max)d characters.", max=MAX_REASON), field="reason")
    return reason


def _open_phase(cycle: Cycle, now: datetime) -> Phase:
    kind = phase_of(cycle, now)
    if kind is None:
        raise ServiceError(_l("No phase is open right now, so there is nothing to close or extend."))
    if kind == PhaseKind.CLOSED:
        raise ServiceError(_l("This cycle is closed: it has no phase to close or extend."))
    return phase_row(cycle, kind)


def close_phase_early(actor, cycle: Cycle, reason: str) -> Phase:
    """End the current phase now and start the next one now. Returns the phase that opens."""
    _require_official(actor)
    reason = _reason(reason)
    now = utcnow()
    current = _open_phase(cycle, now)
    kind = PhaseKind(current.kind)
    following_kind = list(PhaseKind)[kind.order + 1]
    following = phase_row(cycle, following_kind)
    if as_utc(current.starts_at) >= now:
        raise ServiceError(_l("This phase has only just started: it cannot be closed yet."))
    if following_kind == PhaseKind.VOTING:
        _check_voting_can_open(cycle)
    old_end, old_next_start = current.ends_at, following.starts_at
    current.ends_at = now
    following.starts_at = now
    db.session.flush()
    audit.record(actor, "cycle.phase_closed_early", cycle, phase=kind.value, next_phase=following_kind.value,
                 reason=reason, planned_end=as_utc(old_end).isoformat(),
                 planned_next_start=as_utc(old_next_start).isoformat(), closed_at=now.isoformat())
    return following


def extend_phase(actor, cycle: Cycle, new_end: datetime, reason: str) -> Phase:
    """Move the current phase's end later, pushing the next phase's start if needed. Returns the current phase."""
    _require_official(actor)
    reason = _reason(reason)
    now = utcnow()
    current = _open_phase(cycle, now)
    if new_end is None:
        raise ServiceError(_l("Please give the new end."), field="ends_at")
    new_end = as_utc(new_end)
    old_end = as_utc(current.ends_at) if current.ends_at else now
    if new_end <= old_end:
        raise ServiceError(_l("The new end must be later than the planned end."), field="ends_at")
    kind = PhaseKind(current.kind)
    following = phase_row(cycle, list(PhaseKind)[kind.order + 1])
    old_next_start = as_utc(following.starts_at)
    if following.ends_at is not None and as_utc(following.ends_at) <= new_end:
        raise ServiceError(_l("This would swallow the next phase (%(phase)s) entirely. Change the dates of the "
                              "cycle instead.", phase=PHASE_LABELS[PhaseKind(following.kind)]), field="ends_at")
    current.ends_at = new_end
    if old_next_start < new_end:
        following.starts_at = new_end
    db.session.flush()
    audit.record(actor, "cycle.phase_extended", cycle, phase=kind.value, reason=reason,
                 planned_end=old_end.isoformat(), new_end=new_end.isoformat(),
                 next_phase_start=as_utc(following.starts_at).isoformat())
    return current


# --- Districts and categories --------------------------------------------------------------------------------------


def _require(actor, action: str) -> None:
    from app.cycles.permissions import can

    if not can(actor, action):
        raise NotAllowed(_l("Only a city official can manage districts and themes."))


def _unique_slug(model, slug: str, row) -> None:
    problem = slug_problem(slug)
    if problem:
        raise ServiceError(problem, field="slug")
    query = select(model.id).where(model.slug == slug)
    if row is not None and row.id is not None:
        query = query.where(model.id != row.id)
    if db.session.scalar(query) is not None:
        raise ServiceError(_l("This short name is already used."), field="slug")


def _save_unique(change) -> None:
    """Apply ``change()`` and flush inside a savepoint; a slug taken meanwhile becomes a field error."""
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        raise ServiceError(_l("This short name is already used."), field="slug")


def save_district(actor, name: str, slug: str, district: District | None = None) -> District:
    _require(actor, "district.manage")
    name, slug = (name or "").strip(), (slug or "").strip()
    if not name:
        raise ServiceError(_l("Please give the name of the district."), field="name")
    _unique_slug(District, slug, district)
    creating = district is None
    before = None if creating else {"name": district.name, "slug": district.slug}
    if creating:
        district = District(name=name, slug=slug)

    def change():
        district.name, district.slug = name, slug
        db.session.add(district)

    _save_unique(change)
    after = {"name": district.name, "slug": district.slug}
    if creating:
        audit.record(actor, "district.created", district, **after)
    else:
        audit.record(actor, "district.updated", district, before=before, after=after)
    return district


def district_uses(district: District) -> dict[str, int]:
    """How many cycles (envelopes), proposals and ballot items point to a district."""
    from app.proposals.models import BallotItem, Proposal

    def count(model):
        return db.session.scalar(select(func.count()).select_from(model).where(model.district_id == district.id))

    return {"cycles": count(Envelope), "proposals": count(Proposal), "ballot": count(BallotItem)}


def district_use_counts() -> dict[int, dict[str, int]]:
    """For every district id: how many cycles (envelopes) and proposals use it, in two queries."""
    from app.proposals.models import Proposal

    result: dict[int, dict[str, int]] = {}
    for key, model in (("cycles", Envelope), ("proposals", Proposal)):
        rows = db.session.execute(select(model.district_id, func.count()).where(model.district_id.is_not(None))
                                  .group_by(model.district_id))
        for district_id, count in rows:
            result.setdefault(district_id, {"cycles": 0, "proposals": 0})[key] = count
    return result


def delete_district(actor, district: District) -> None:
    _require(actor, "district.manage")
    uses = district_uses(district)
    if uses["cycles"] or uses["ballot"]:
        raise ServiceError(_l("%(name)s has an envelope in a budget cycle, so it cannot be deleted.",
                              name=district.name))
    if uses["proposals"]:
        raise ServiceError(lazy_ngettext("%(name)s is the district of %(num)d proposal, so it cannot be deleted.",
                                         "%(name)s is the district of %(num)d proposals, so it cannot be deleted.",
                                         uses["proposals"], name=district.name))
    audit.record(actor, "district.deleted", district, name=district.name, slug=district.slug)
    db.session.delete(district)
    db.session.flush()


def save_category(actor, values: dict, category: Category | None = None) -> Category:
    """``values``: slug, name_fr, name_en, name_nl, icon, colour."""
    _require(actor, "category.manage")
    clean = {key: (values.get(key) or "").strip() for key in ("slug", "name_fr", "name_en", "name_nl", "icon")}
    clean["colour"] = (values.get("colour") or "").strip().lower()
    if not clean["name_fr"]:
        raise ServiceError(_l("Please give the name in French."), field="name_fr")
    if not COLOUR_RE.match(clean["colour"]):
        raise ServiceError(_l("Please give a colour such as #1d4ed8."), field="colour")
    if len(clean["icon"]) > 8:
        raise ServiceError(_l("The icon must be a single emoji."), field="icon")
    _unique_slug(Category, clean["slug"], category)
    creating = category is None
    before = None if creating else {key: getattr(category, key) for key in clean}
    if creating:
        category = Category(**clean)

    def change():
        for key, value in clean.items():
            setattr(category, key, value)
        db.session.add(category)

    _save_unique(change)
    if creating:
        audit.record(actor, "category.created", category, **clean)
    else:
        audit.record(actor, "category.updated", category, before=before, after=clean)
    return category


def category_use_counts() -> dict[int, int]:
    """For every category id: how many proposals use it."""
    from app.proposals.models import Proposal

    rows = db.session.execute(select(Proposal.category_id, func.count()).where(Proposal.category_id.is_not(None))
                              .group_by(Proposal.category_id))
    return dict(rows.all())


def delete_category(actor, category: Category) -> None:
    from app.proposals.models import Proposal

    _require(actor, "category.manage")
    used = db.session.scalar(select(exists().where(Proposal.category_id == category.id)))
    if used:
        raise ServiceError(_l("Proposals use the theme %(name)s, so it cannot be deleted.", name=category.name))
    audit.record(actor, "category.deleted", category, slug=category.slug, name_fr=category.name_fr)
    db.session.delete(category)
    db.session.flush()
