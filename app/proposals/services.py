"""What happens to a proposal: drafting, submission, edits, withdrawal, status changes, supports and follows.

Services take the acting user and ``now``-free arguments (time comes from ``app.core.clock``); they flush and
leave the commit to the caller.
"""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.services import ensure_can_write
from app.core import audit
from app.core.clock import utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.images import process_upload
from app.core.notify import notify
from app.core.rendering import render_markdown
from app.cycles.phases import allows
from app.cycles.services import phase_of
from app.extensions import db
from app.proposals.models import (
    Coauthor,
    Follow,
    Proposal,
    ProposalImage,
    ProposalStatus,
    StatusChange,
    Support,
)
from app.proposals.search import normalise

MAX_IMAGES = 3

STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
    ProposalStatus.UNDER_REVIEW: _l("Under review"),
    ProposalStatus.FEASIBLE: _l("Feasible, on the ballot"),
    ProposalStatus.NOT_FEASIBLE: _l("Not feasible"),
    ProposalStatus.MERGED: _l("Merged into another project"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn by its author"),
    ProposalStatus.SELECTED: _l("Selected by the vote"),
    ProposalStatus.NOT_SELECTED: _l("Not selected"),
    ProposalStatus.IN_PROGRESS: _l("Being carried out"),
    ProposalStatus.DONE: _l("Done"),
}


def status_label(status) -> str:
    return str(STATUS_LABELS[ProposalStatus(status)])


def proposal_url(proposal: Proposal) -> str:
    """The proposal's path on this site (notifications store paths; emails make them absolute)."""
    return f"/proposals/{proposal.id}"


def _refresh_derived(proposal: Proposal) -> None:
    proposal.body_html = render_markdown(proposal.body)
    proposal.search_text = normalise(proposal.title, proposal.body, proposal.address,
                                     proposal.district.name if proposal.district else "")


def _require_phase(proposal_or_cycle, action: str, message) -> None:
    cycle = getattr(proposal_or_cycle, "cycle", proposal_or_cycle)
    if not allows(phase_of(cycle), action):
        raise NotAllowed(message)


def save_proposal(actor, cycle, values: dict, proposal: Proposal | None = None, submit: bool = False,
                  channel: str = "web", on_behalf_of=None) -> Proposal:
    """Create or update a proposal from validated form values; ``submit`` turns a draft into a submission.

    ``values`` keys: title, body, category, district, latitude, longitude, address, estimated_cost_cents.
    """
    ensure_can_write(actor)
    _require_phase(cycle, "submit_proposal" if proposal is None else "edit_proposal",
                   _l("Proposals can only be submitted or changed while the submission phase is open."))
    if proposal is None:
        author = on_behalf_of if channel != "web" else actor
        proposal = Proposal(cycle=cycle, author=author, status=ProposalStatus.DRAFT, channel=channel,
                            entered_by=actor if channel != "web" else None)
        db.session.add(proposal)
    elif not can_edit(actor, proposal):
        raise NotAllowed(_l("Only the author can change this proposal, and only before it is reviewed."))
    for key in ("title", "body", "category", "district", "latitude", "longitude", "address",
                "estimated_cost_cents"):
        if key in values:
            setattr(proposal, key, values[key])
    proposal.title = proposal.title.strip()
    proposal.address = (proposal.address or "").strip()
    _refresh_derived(proposal)
    db.session.flush()
    if submit and proposal.status == ProposalStatus.DRAFT:
        proposal.submitted_at = utcnow()
        change_status(actor, proposal, ProposalStatus.SUBMITTED, notify_people=False)
        follow(proposal.author or actor, proposal, by_email=False) if proposal.author else None
    if channel != "web":
        audit.record(actor, "proposal.entered_on_behalf", proposal, channel=channel)
    return proposal


def can_edit(user, proposal: Proposal) -> bool:
    return (
        user is not None and user.is_authenticated and proposal.author_id == user.id
        and proposal.status in (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED)
        and allows(phase_of(proposal.cycle), "edit_proposal")
    )


def add_images(actor, proposal: Proposal, uploads: list, alts: list[str] | None = None) -> None:
    """Attach up to ``MAX_IMAGES`` images; every file is checked before any is stored."""
    uploads = [u for u in uploads if u and getattr(u, "filename", "")]
    if len(proposal.images) + len(uploads) > MAX_IMAGES:
        raise ServiceError(_l("A proposal can have at most %(count)d images.", count=MAX_IMAGES), field="images")
    cleaned = [process_upload(u.stream, (alts or [""] * len(uploads))[i] if alts else "")
               for i, u in enumerate(uploads)]
    start = len(proposal.images)
    for offset, values in enumerate(cleaned):
        proposal.images.append(ProposalImage(position=start + offset, **values))


def remove_image(actor, proposal: Proposal, image_id: int) -> None:
    if not can_edit(actor, proposal):
        raise NotAllowed(_l("Only the author can change this proposal, and only before it is reviewed."))
    db.session.execute(delete(ProposalImage).where(ProposalImage.id == image_id,
                                                   ProposalImage.proposal_id == proposal.id))


def withdraw(actor, proposal: Proposal) -> None:
    if not can_edit(actor, proposal):
        raise NotAllowed(_l("Only the author can withdraw this proposal, during the submission phase."))
    change_status(actor, proposal, ProposalStatus.WITHDRAWN)


def change_status(actor, proposal: Proposal, status: ProposalStatus, reason: str = "",
                  notify_people: bool = True) -> StatusChange:
    """The one way a proposal's status changes: history row, audit for staff, notifications to followers."""
    previous = proposal.status
    proposal.status = status
    change = StatusChange(proposal=proposal, from_status=previous.value if previous else "", to_status=status,
                          reason=reason.strip(), actor_id=getattr(actor, "id", None))
    db.session.add(change)
    if actor is not None and getattr(actor, "id", None) != proposal.author_id:
        audit.record(actor, "proposal.status_changed", proposal, before=previous.value if previous else "",
                     after=status.value, reason=reason)
    from app.callcenter.services import status_changed  # callers who phoned about it get a callback task

    status_changed(proposal, status, reason)
    if notify_people:
        notify_followers(proposal, "proposal.status",
                         lambda: gettext("“%(title)s” is now: %(status)s.", title=proposal.display_title,
                                         status=status_label(status))
                         + (f"\n{reason.strip()}" if reason.strip() else ""))
    db.session.flush()
    return change


def followers(proposal: Proposal) -> list[tuple]:
    """(user, by_email) for everyone who follows the proposal."""
    from app.accounts.models import User

    rows = db.session.execute(
        select(User, Follow.by_email).join(Follow, Follow.user_id == User.id).where(Follow.proposal_id == proposal.id)
    ).all()
    return [(user, by_email) for user, by_email in rows]


def notify_followers(proposal: Proposal, kind: str, message, exclude_user_id: int | None = None) -> int:
    link = proposal_url(proposal)
    count = 0
    for user, by_email in followers(proposal):
        if user.id == exclude_user_id:
            continue
        notify(user, kind, message, link=link, email=by_email,
               subject=lambda: gettext("News about “%(title)s”", title=proposal.display_title))
        count += 1
    return count


def support(actor, proposal: Proposal) -> bool:
    """Support a proposal once; returns False if it was already supported."""
    ensure_can_write(actor)
    if not actor.email_confirmed:
        raise NotAllowed(_l("Please confirm your email address before supporting proposals."))
    _require_phase(proposal, "support", _l("Supports are only open during the submission phase."))
    if proposal.status != ProposalStatus.SUBMITTED or proposal.hidden_at is not None:
        raise NotAllowed(_l("This proposal cannot be supported any more."))
    exists = db.session.scalar(select(Support.id).where(Support.proposal_id == proposal.id,
                                                         Support.user_id == actor.id))
    if exists:
        return False
    try:
        with db.session.begin_nested():  # a concurrent double click meets the unique constraint, not a 500
            db.session.add(Support(proposal_id=proposal.id, user_id=actor.id))
    except IntegrityError:
        return False
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(supports_count=Proposal.supports_count + 1))
    db.session.refresh(proposal, ["supports_count"])
    return True


def unsupport(actor, proposal: Proposal) -> bool:
    _require_phase(proposal, "support", _l("Supports are only open during the submission phase."))
    removed = db.session.execute(delete(Support).where(Support.proposal_id == proposal.id,
                                                       Support.user_id == actor.id)).rowcount
    if removed:
        db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                           .values(supports_count=func.max(Proposal.supports_count - 1, 0)
                                   if db.engine.dialect.name == "sqlite"
                                   else func.greatest(Proposal.supports_count - 1, 0)))
        db.session.refresh(proposal, ["supports_count"])
    return bool(removed)


def has_supported(user, proposal: Proposal) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return db.session.scalar(select(Support.id).where(Support.proposal_id == proposal.id,
                                                      Support.user_id == user.id)) is not None


def follow(actor, proposal: Proposal, by_email: bool = False) -> Follow:
    if proposal.hidden_at is not None:
        raise NotAllowed(_l("This proposal has been hidden by moderation."))
    existing = db.session.scalar(select(Follow).where(Follow.proposal_id == proposal.id, Follow.user_id == actor.id))
    if existing:
        existing.by_email = by_email
        return existing
    row = Follow(proposal_id=proposal.id, user_id=actor.id, by_email=by_email)
    db.session.add(row)
    db.session.flush()
    return row


def unfollow(actor, proposal: Proposal) -> None:
    db.session.execute(delete(Follow).where(Follow.proposal_id == proposal.id, Follow.user_id == actor.id))


def following(user, proposal: Proposal) -> Follow | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(select(Follow).where(Follow.proposal_id == proposal.id, Follow.user_id == user.id))


def add_coauthor(proposal: Proposal, user_id: int) -> None:
    if user_id == proposal.author_id:
        return
    exists = db.session.scalar(select(Coauthor.id).where(Coauthor.proposal_id == proposal.id,
                                                         Coauthor.user_id == user_id))
    if not exists:
        db.session.add(Coauthor(proposal_id=proposal.id, user_id=user_id))
