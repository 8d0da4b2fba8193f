"""What happens to the selected projects once the vote is over: status, progress, budget and public updates.

Services take the acting official, check the cycle's phase, write an audit entry, flush and leave the commit to the
caller. The proposal's public status follows the tracking status through ``app.proposals.services.change_status``.
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core import audit
from app.core.clock import local_now
from app.core.errors import NotAllowed, ServiceError
from app.core.images import process_upload
from app.core.notify import notify
from app.core.rendering import render_markdown
from app.cycles.services import cycle_allows
from app.extensions import db
from app.proposals.models import Coauthor, Proposal, ProposalStatus
from app.proposals.services import change_status, followers, notify_followers, proposal_url
from app.tracking.models import ProjectStatus, ProjectTracking, TrackingPhoto, TrackingUpdate

# Proposals that won the vote (or are already being carried out) are the ones a city tracks.
TRACKABLE = (ProposalStatus.SELECTED, ProposalStatus.IN_PROGRESS, ProposalStatus.DONE)

# The public status of the proposal that goes with each tracking status. A cancelled project stays "selected by
# the vote" in the proposal's history: the cancellation and its reason are shown by the tracking itself.
PROPOSAL_STATUS_FOR = {
    ProjectStatus.PLANNED: ProposalStatus.SELECTED,
    ProjectStatus.IN_PROGRESS: ProposalStatus.IN_PROGRESS,
    ProjectStatus.DONE: ProposalStatus.DONE,
    ProjectStatus.CANCELLED: ProposalStatus.SELECTED,
}
TRACKING_STATUS_FOR = {
    ProposalStatus.SELECTED: ProjectStatus.PLANNED,
    ProposalStatus.IN_PROGRESS: ProjectStatus.IN_PROGRESS,
    ProposalStatus.DONE: ProjectStatus.DONE,
}

STATUS_LABELS = {
    ProjectStatus.PLANNED: _l("Planned"),
    ProjectStatus.IN_PROGRESS: _l("In progress"),
    ProjectStatus.DONE: _l("Done"),
    ProjectStatus.CANCELLED: _l("Cancelled"),
}
# Order in which statuses are listed (the totals and the public page).
STATUS_ORDER = (ProjectStatus.IN_PROGRESS, ProjectStatus.PLANNED, ProjectStatus.DONE, ProjectStatus.CANCELLED)

MAX_PHOTOS = 3
TITLE_MAX = 150
BODY_MAX = 10_000
REASON_MAX = 2_000
ALT_MAX = 200
MONEY_MAX_CENTS = 10**14


def status_label(status) -> str:
    return str(STATUS_LABELS[ProjectStatus(status)])


# --- reading -------------------------------------------------------------------------------------------------


def _with_updates(query):
    """Load updates and their photos (without the image bytes) in two extra queries, whatever their number."""
    return query.options(
        selectinload(ProjectTracking.updates).selectinload(TrackingUpdate.photos).defer(TrackingPhoto.data)
    )


def tracking_for(proposal) -> ProjectTracking | None:
    """The tracking of a proposal, with its updates, or None (also for proposals that were not selected)."""
    if proposal is None or getattr(proposal, "id", None) is None:
        return None
    return db.session.scalar(_with_updates(select(ProjectTracking).where(ProjectTracking.proposal_id == proposal.id)))


@dataclass
class Outcome:
    """One selected project on the public page: the proposal and its tracking (None until an official opens it)."""

    proposal: Proposal
    tracking: ProjectTracking | None

    @property
    def status(self) -> ProjectStatus:
        if self.tracking is not None:
            return self.tracking.status
        return TRACKING_STATUS_FOR[self.proposal.status]

    @property
    def progress(self) -> int:
        if self.tracking is not None:
            return self.tracking.progress
        return 100 if self.proposal.status == ProposalStatus.DONE else 0

    @property
    def planned_cents(self) -> int:
        return self.tracking.planned_budget_cents if self.tracking is not None else (self.proposal.city_cost_cents or 0)

    @property
    def spent_cents(self) -> int:
        return self.tracking.spent_cents if self.tracking is not None else 0

    @property
    def updates(self) -> list[TrackingUpdate]:
        return list(self.tracking.updates) if self.tracking is not None else []

    @property
    def last_update(self) -> TrackingUpdate | None:
        updates = self.updates
        return updates[0] if updates else None


@dataclass
class Totals:
    counts: dict = field(default_factory=lambda: dict.fromkeys(STATUS_ORDER, 0))
    planned_cents: int = 0  # cancelled projects are not counted
    spent_cents: int = 0

    @property
    def projects(self) -> int:
        return sum(self.counts.values())


def outcomes(cycle) -> list[Outcome]:
    """The selected projects of a cycle with their tracking: in progress first, then planned, done, cancelled."""
    proposals = db.session.scalars(
        select(Proposal).where(Proposal.cycle_id == cycle.id, Proposal.status.in_(TRACKABLE))
    ).all()
    trackings = {}
    if proposals:
        rows = db.session.scalars(_with_updates(
            select(ProjectTracking).where(ProjectTracking.proposal_id.in_([p.id for p in proposals]))
        )).all()
        trackings = {t.proposal_id: t for t in rows}
    items = [Outcome(p, trackings.get(p.id)) for p in proposals]
    items.sort(key=lambda o: (STATUS_ORDER.index(o.status), o.proposal.display_title.lower(), o.proposal.id))
    return items


def totals(items: list[Outcome]) -> Totals:
    result = Totals()
    for item in items:
        result.counts[item.status] += 1
        if item.status != ProjectStatus.CANCELLED:
            result.planned_cents += item.planned_cents
        result.spent_cents += item.spent_cents
    return result


# --- rules shared by every change ----------------------------------------------------------------------------


def _require_trackable(proposal: Proposal) -> None:
    if proposal.status not in TRACKABLE:
        raise NotAllowed(_l("Only projects selected by the vote can be tracked."))
    if not cycle_allows(proposal.cycle, "track"):
        raise NotAllowed(_l("Projects can only be tracked once the results of the vote are out."))


def _money(value, field_name: str) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > MONEY_MAX_CENTS:
        raise ServiceError(_l("Please give a positive amount in euros, with at most two decimals."), field=field_name)
    return value


def _follow_proposal(actor, tracking: ProjectTracking, status: ProjectStatus, reason: str) -> None:
    """Move the proposal's public status along with the tracking (history, audit and followers' notifications)."""
    proposal = tracking.proposal
    wanted = PROPOSAL_STATUS_FOR[status]
    if proposal.status == wanted:
        return
    # A cancellation is announced by ``_tell_people`` with its reason: no "now selected" message on top of it.
    change_status(actor, proposal, wanted, reason, notify_people=status != ProjectStatus.CANCELLED)


def _authors(proposal: Proposal) -> list:
    from app.accounts.models import User

    coauthors = db.session.scalars(
        select(User).join(Coauthor, Coauthor.user_id == User.id).where(Coauthor.proposal_id == proposal.id)
    ).all()
    people = ([proposal.author] if proposal.author is not None else []) + list(coauthors)
    unique = {}
    for person in people:
        unique.setdefault(person.id, person)
    return list(unique.values())


def _tell_people(actor, proposal: Proposal, kind: str, message) -> int:
    """Followers (in-app, and by email if they asked) plus the authors and co-authors who do not follow (in-app, and
    by email when they agreed that the city may contact them about their proposals)."""
    from app.privacy.services import may_contact

    actor_id = getattr(actor, "id", None)
    count = notify_followers(proposal, kind, message, exclude_user_id=actor_id)
    following = {user.id for user, _by_email in followers(proposal)}
    link = proposal_url(proposal)
    for person in _authors(proposal):
        if person.id in following or person.id == actor_id:
            continue
        notify(person, kind, message, link=link, email=may_contact(person))
        count += 1
    return count


# --- changes -------------------------------------------------------------------------------------------------


def open_tracking(actor, proposal: Proposal) -> ProjectTracking:
    """Start tracking a selected project (idempotent). The planned budget starts at the city's cost estimate."""
    _require_trackable(proposal)
    existing = db.session.scalar(select(ProjectTracking).where(ProjectTracking.proposal_id == proposal.id))
    if existing is not None:
        return existing
    status = TRACKING_STATUS_FOR[proposal.status]
    tracking = ProjectTracking(
        proposal=proposal,
        status=status,
        progress=100 if status == ProjectStatus.DONE else 0,
        planned_budget_cents=proposal.city_cost_cents or 0,
        spent_cents=0,
        cancel_reason="",
    )
    db.session.add(tracking)
    db.session.flush()
    audit.record(actor, "tracking.opened", tracking, proposal_id=proposal.id, status=status.value,
                 planned_budget_cents=tracking.planned_budget_cents)
    return tracking


def update_tracking(actor, tracking: ProjectTracking, *, status, progress: int, planned_budget_cents: int | None,
                    spent_cents: int | None, cancel_reason: str = "") -> dict:
    """Set status, progress and budget. Returns the changed fields as {name: (before, after)}.

    A cancellation needs a public reason; "done" means 100 %. The proposal's status follows (see PROPOSAL_STATUS_FOR).
    """
    proposal = tracking.proposal
    _require_trackable(proposal)
    try:
        status = ProjectStatus(status)
    except ValueError:
        raise ServiceError(_l("Please choose a status from the list."), field="status")
    reason = (cancel_reason or "").strip()
    if status == ProjectStatus.CANCELLED:
        if not reason:
            raise ServiceError(_l("Please explain publicly why the project is cancelled."), field="cancel_reason")
        if len(reason) > REASON_MAX:
            raise ServiceError(_l("The reason must have at most %(max)d characters.", max=REASON_MAX),
                               field="cancel_reason")
    else:
        reason = ""
    if not isinstance(progress, int) or isinstance(progress, bool) or not 0 <= progress <= 100:
        raise ServiceError(_l("The progress must be a whole number between 0 and 100."), field="progress")
    if status == ProjectStatus.DONE:
        progress = 100
    planned = _money(planned_budget_cents, "planned_budget")
    spent = _money(spent_cents, "spent")

    new_values = {"status": status, "progress": progress, "planned_budget_cents": planned, "spent_cents": spent,
                  "cancel_reason": reason}
    changes = {}
    for name, value in new_values.items():
        before = getattr(tracking, name)
        if before != value:
            changes[name] = (before.value if isinstance(before, ProjectStatus) else before,
                             value.value if isinstance(value, ProjectStatus) else value)
            setattr(tracking, name, value)
    if not changes:
        return changes
    db.session.flush()
    audit.record(actor, "tracking.updated", tracking, proposal_id=proposal.id, **{
        name: {"before": before, "after": after} for name, (before, after) in changes.items()})
    if "status" in changes:
        _follow_proposal(actor, tracking, status, reason)
        if status == ProjectStatus.CANCELLED:
            _tell_people(actor, proposal, "tracking.cancelled", lambda: gettext(
                "The project “%(title)s” has been cancelled. Reason: %(reason)s",
                title=proposal.display_title, reason=reason))
    db.session.flush()
    return changes


@dataclass(frozen=True)
class PhotoUpload:
    stream: object
    alt: str


def post_update(actor, tracking: ProjectTracking, *, happened_on: date, title: str, body: str = "",
                photos: list[PhotoUpload] = ()) -> TrackingUpdate:
    """Publish a dated update with up to three photos. Every photo is checked before anything is stored."""
    proposal = tracking.proposal
    _require_trackable(proposal)
    title = (title or "").strip()
    body = (body or "").strip()
    if not title:
        raise ServiceError(_l("Please give the update a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(_l("The title must have at most %(max)d characters.", max=TITLE_MAX), field="title")
    if len(body) > BODY_MAX:
        raise ServiceError(_l("The text must have at most %(max)d characters.", max=BODY_MAX), field="body")
    if not isinstance(happened_on, date):
        raise ServiceError(_l("Please give the date of this news."), field="happened_on")
    if happened_on > local_now().date():
        raise ServiceError(_l("The date cannot be in the future."), field="happened_on")
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(_l("An update can have at most %(count)d photos.", count=MAX_PHOTOS), field="photo")
    cleaned = []
    for number, photo in enumerate(photos, start=1):
        alt = (photo.alt or "").strip()
        if not alt:
            raise ServiceError(_l("Please describe photo %(number)d for people who cannot see it.", number=number),
                               field="photo")
        if len(alt) > ALT_MAX:
            raise ServiceError(_l("The description of photo %(number)d must have at most %(max)d characters.",
                                  number=number, max=ALT_MAX), field="photo")
        try:
            cleaned.append(process_upload(photo.stream, alt))
        except ServiceError as error:
            raise ServiceError(_l("Photo %(number)d: %(problem)s", number=number, problem=error.message),
                               field="photo")

    update = TrackingUpdate(tracking=tracking, happened_on=happened_on, title=title, body=body,
                            body_html=render_markdown(body), author_id=getattr(actor, "id", None))
    update.photos = [TrackingPhoto(**values) for values in cleaned]
    db.session.add(update)
    db.session.flush()
    audit.record(actor, "tracking.update_posted", update, proposal_id=proposal.id, title=title,
                 happened_on=happened_on.isoformat(), photos=len(cleaned))
    _tell_people(actor, proposal, "tracking.update", lambda: gettext(
        "News about the project “%(title)s”: %(update)s", title=proposal.display_title, update=title))
    return update


def delete_update(actor, update: TrackingUpdate) -> None:
    """Remove a published update (and its photos), for example one posted by mistake."""
    tracking = update.tracking
    _require_trackable(tracking.proposal)
    audit.record(actor, "tracking.update_deleted", update, proposal_id=tracking.proposal_id, title=update.title,
                 happened_on=update.happened_on.isoformat())
    db.session.delete(update)  # its photos go with it (cascade)
    db.session.flush()
    db.session.expire(tracking, ["updates"])


def photo_by_token(token: str) -> TrackingPhoto | None:
    return db.session.scalar(select(TrackingPhoto).where(TrackingPhoto.token == token[:40]))

