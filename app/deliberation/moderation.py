"""Moderation: reports, hiding and restoring content, held comments, suspensions and forbidden words.

Services take the acting user, flush, and leave the commit to the caller. They raise ``ServiceError`` (bad input)
or ``NotAllowed`` (a rule of who may do what) with a lazily translated message.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, or_, select, union_all, update
from sqlalchemy.orm import defer, joinedload, lazyload

from app.accounts.models import User
from app.accounts.services import ensure_can_write, is_suspended
from app.core import audit
from app.core.clock import as_utc, utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.notify import notify
from app.deliberation.models import (
    Comment,
    ForbiddenWord,
    Report,
    ReportReason,
    ReportStatus,
    Suspension,
    Visibility,
)
from app.deliberation.moderation_permissions import can
from app.extensions import db
from app.proposals.models import Proposal, ProposalStatus
from app.proposals.search import words

TARGET_TYPES = ("comment", "proposal")
MAX_DETAILS = 1000
MAX_WORD = 80
MAX_SUSPENSION_REASON = 1000
MIN_SUSPENSION_DAYS = 1
MAX_SUSPENSION_DAYS = 365
REPORTS_PER_HOUR = 20  # per account; the app may set REPORTS_PER_HOUR in its config

REASON_LABELS = {
    ReportReason.SPAM: _l("spam"),
    ReportReason.INSULT: _l("insult"),
    ReportReason.PERSONAL_DATA: _l("personal data"),
    ReportReason.OFF_TOPIC: _l("off-topic"),
    ReportReason.OTHER: _l("other"),
}


def reason_label(reason) -> str:
    """The public label of a reason ("insult"); an unknown code is shown as "other"."""
    try:
        return str(REASON_LABELS[ReportReason(reason)])
    except ValueError:
        return str(REASON_LABELS[ReportReason.OTHER])


def hidden_label(reason) -> str:
    return gettext("Hidden by moderation: %(reason)s", reason=reason_label(reason))


# --- Forbidden words ---------------------------------------------------------------------------------------------

def fold_phrase(text: str) -> tuple[str, ...]:
    """A word or phrase as the words it matches: lower-case, accent-free, plural-stemmed (as search does)."""
    return tuple(words(text))


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return size > 0 and any(haystack[i:i + size] == needle for i in range(len(haystack) - size + 1))


def holds_for_moderation(text: str) -> bool:
    """True when ``text`` contains a forbidden word or phrase (whole words, ignoring case and accents)."""
    phrases = db.session.scalars(select(ForbiddenWord.word)).all()
    if not phrases:
        return False
    folded = fold_phrase(text)
    return any(_contains(folded, fold_phrase(phrase)) for phrase in phrases)


def forbidden_words() -> list[ForbiddenWord]:
    return list(db.session.scalars(select(ForbiddenWord).order_by(ForbiddenWord.word)))


def add_forbidden_word(actor, word: str) -> ForbiddenWord:
    if not can(actor, "words"):
        raise NotAllowed(_l("Only moderators and officials manage forbidden words."))
    word = " ".join((word or "").split())
    if not word:
        raise ServiceError(_l("Please enter a word or a phrase."), field="word")
    if len(word) > MAX_WORD:
        raise ServiceError(_l("A forbidden word or phrase has at most %(max)d characters.", max=MAX_WORD),
                           field="word")
    folded = fold_phrase(word)
    if not folded:
        raise ServiceError(_l("This is too common a word to be matched: please add a letter or a longer phrase."),
                           field="word")
    for existing in forbidden_words():
        if fold_phrase(existing.word) == folded:
            raise ServiceError(_l("“%(word)s” is already in the list.", word=existing.word), field="word")
    row = ForbiddenWord(word=word)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "moderation.word_added", row, word=word)
    return row


def remove_forbidden_word(actor, row: ForbiddenWord) -> None:
    if not can(actor, "words"):
        raise NotAllowed(_l("Only moderators and officials manage forbidden words."))
    audit.record(actor, "moderation.word_removed", row, word=row.word)
    db.session.delete(row)
    db.session.flush()


# --- Reports -----------------------------------------------------------------------------------------------------

class AlreadyReported(ServiceError):
    """This person already has an open report on this content."""


class RateLimited(NotAllowed):
    """Too many reports from one account in the last hour."""


def find_target(target_type: str, target_id: int):
    """The comment or proposal a report is about, or None."""
    if target_type == "comment":
        return db.session.get(Comment, target_id)
    if target_type == "proposal":
        return db.session.get(Proposal, target_id)
    return None


def target_type_of(target) -> str:
    return "comment" if isinstance(target, Comment) else "proposal"


def _proposal_public(proposal: Proposal | None) -> bool:
    return proposal is not None and proposal.status != ProposalStatus.DRAFT and proposal.hidden_at is None


def reportable_target(target_type: str, target_id: int):
    """The target if anyone may report it: public and shown (not a draft, not hidden, held or deleted)."""
    target = find_target(target_type, target_id)
    if isinstance(target, Proposal):
        return target if _proposal_public(target) else None
    if isinstance(target, Comment):
        shown = target.visibility == Visibility.VISIBLE and target.deleted_at is None
        proposal = db.session.get(Proposal, target.proposal_id)
        return target if shown and _proposal_public(proposal) else None
    return None


def open_report_of(user, target_type: str, target_id: int) -> Report | None:
    return db.session.scalar(select(Report).where(
        Report.reporter_id == user.id, Report.target_type == target_type, Report.target_id == target_id,
        Report.status == ReportStatus.OPEN))


def report(actor, target, reason, details: str = "") -> Report:
    """A signed-in person reports a comment or a proposal. One open report per person and target."""
    ensure_can_write(actor)
    if not can(actor, "report"):
        raise NotAllowed(_l("Please sign in to report content."))
    try:
        reason = ReportReason(reason)
    except ValueError:
        raise ServiceError(_l("Please choose a reason from the list."), field="reason") from None
    details = (details or "").strip()
    if len(details) > MAX_DETAILS:
        raise ServiceError(_l("Please keep the details under %(max)d characters.", max=MAX_DETAILS), field="details")
    if reason == ReportReason.OTHER and not details:
        raise ServiceError(_l("Please say what is wrong when you choose “other”."), field="details")
    target_type = target_type_of(target)
    # One report at a time per account (PostgreSQL row lock; SQLite writes one at a time anyway), so that a double
    # click cannot open two reports on the same target nor slip past the hourly limit.
    db.session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    if open_report_of(actor, target_type, target.id) is not None:
        raise AlreadyReported(_l("You have already reported this. Moderators will look at it soon."))
    limit = current_app.config.get("REPORTS_PER_HOUR", REPORTS_PER_HOUR)
    recent = db.session.scalar(select(func.count()).select_from(Report).where(
        Report.reporter_id == actor.id, Report.created_at >= utcnow() - timedelta(hours=1)))
    if recent >= limit:
        raise RateLimited(_l("You have sent many reports in a short time. Please wait an hour before the next one."))
    row = Report(target_type=target_type, target_id=target.id, reporter_id=actor.id, reason=reason, details=details)
    db.session.add(row)
    db.session.flush()
    return row


def report_counts(target_type: str, ids: Iterable[int]) -> dict[int, int]:
    """Open reports per target id (0 for targets nobody reported), in one query."""
    ids = list(ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    rows = db.session.execute(
        select(Report.target_id, func.count())
        .where(Report.target_type == target_type, Report.target_id.in_(ids), Report.status == ReportStatus.OPEN)
        .group_by(Report.target_id)
    ).all()
    counts.update(dict(rows))
    return counts


# --- Decisions ---------------------------------------------------------------------------------------------------

def _require_moderator(actor) -> None:
    if not can(actor, "moderate"):
        raise NotAllowed(_l("Only moderators and officials take moderation decisions."))


def _close_reports(actor, target_type: str, target_id: int, status: ReportStatus) -> int:
    return db.session.execute(
        update(Report)
        .where(Report.target_type == target_type, Report.target_id == target_id, Report.status == ReportStatus.OPEN)
        .values(status=status, decided_by_id=actor.id, decided_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount


def _recount_comments(proposal_id: int) -> None:
    """Proposal.comments_count counts the comments readers see: visible and not deleted."""
    visible = (select(func.count()).select_from(Comment)
               .where(Comment.proposal_id == proposal_id, Comment.visibility == Visibility.VISIBLE,
                      Comment.deleted_at.is_(None))
               .scalar_subquery())
    db.session.execute(update(Proposal).where(Proposal.id == proposal_id).values(comments_count=visible)
                       .execution_options(synchronize_session=False))
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is not None:
        db.session.refresh(proposal, ["comments_count"])


def _author_of(target):
    return db.session.get(User, target.author_id) if target.author_id else None


def _tell_author(target, message) -> None:
    author = _author_of(target)
    if author is None:
        return
    proposal_id = target.proposal_id if isinstance(target, Comment) else target.id
    notify(author, "moderation", message, link=f"/proposals/{proposal_id}")


def _check_reason(reason) -> ReportReason:
    try:
        return ReportReason(reason)
    except ValueError:
        raise ServiceError(_l("Please choose a reason from the list."), field="reason") from None


def hide(actor, target, reason) -> int:
    """Hide a comment or a proposal with a public reason; its open reports are closed as "hidden"."""
    _require_moderator(actor)
    reason = _check_reason(reason)
    target_type = target_type_of(target)
    if target_type == "comment":
        if target.visibility == Visibility.HIDDEN:
            raise ServiceError(_l("This content is already hidden."))
        if target.visibility == Visibility.PENDING:
            raise ServiceError(_l("This comment is waiting for approval: approve or reject it."))
        target.visibility = Visibility.HIDDEN
        target.moderation_reason = reason.value
        db.session.flush()
        _recount_comments(target.proposal_id)
    else:
        if target.hidden_at is not None:
            raise ServiceError(_l("This content is already hidden."))
        target.hidden_at = utcnow()
        target.hidden_reason = reason.value
    closed = _close_reports(actor, target_type, target.id, ReportStatus.HIDDEN)
    audit.record(actor, "moderation.hidden", target, reason=reason.value, reports=closed)
    _tell_author(target, lambda: gettext("A moderator has hidden your content. %(label)s",
                                         label=hidden_label(reason)))
    db.session.flush()
    return closed


def restore(actor, target) -> None:
    """Show hidden content again."""
    _require_moderator(actor)
    if isinstance(target, Comment):
        if target.visibility != Visibility.HIDDEN:
            raise ServiceError(_l("This content is not hidden."))
        before = target.moderation_reason
        target.visibility = Visibility.VISIBLE
        target.moderation_reason = ""
        db.session.flush()
        _recount_comments(target.proposal_id)
    else:
        if target.hidden_at is None:
            raise ServiceError(_l("This content is not hidden."))
        before = target.hidden_reason
        target.hidden_at = None
        target.hidden_reason = ""
    audit.record(actor, "moderation.restored", target, reason_was=before)
    db.session.flush()


def dismiss(actor, target_type: str, target_id: int) -> int:
    """Close the open reports on a target without hiding it (the target may no longer exist)."""
    _require_moderator(actor)
    if target_type not in TARGET_TYPES:
        raise ServiceError(_l("Unknown kind of content."))
    closed = _close_reports(actor, target_type, target_id, ReportStatus.DISMISSED)
    if not closed:
        raise ServiceError(_l("There is no open report on this content."))
    audit.record(actor, "moderation.dismissed", (target_type, target_id), reports=closed)
    db.session.flush()
    return closed


def _require_pending(comment) -> None:
    if not isinstance(comment, Comment) or comment.visibility != Visibility.PENDING:
        raise ServiceError(_l("This comment is not waiting for approval."))


def approve(actor, comment: Comment) -> None:
    """A comment held for a forbidden word is shown after all."""
    _require_moderator(actor)
    _require_pending(comment)
    comment.visibility = Visibility.VISIBLE
    comment.moderation_reason = ""
    db.session.flush()
    _recount_comments(comment.proposal_id)
    audit.record(actor, "moderation.approved", comment)
    db.session.flush()


def reject(actor, comment: Comment, reason) -> None:
    """A held comment stays out of sight, with a public reason."""
    _require_moderator(actor)
    _require_pending(comment)
    reason = _check_reason(reason)
    comment.visibility = Visibility.HIDDEN
    comment.moderation_reason = reason.value
    audit.record(actor, "moderation.rejected", comment, reason=reason.value)
    _tell_author(comment, lambda: gettext("A moderator did not publish your comment. %(label)s",
                                          label=hidden_label(reason)))
    db.session.flush()


DECISIONS = ("hide", "restore", "dismiss", "approve", "reject")


def decide(actor, target_type: str, target_id: int, decision: str, reason=None):
    """One moderation decision on a target, as the queue's buttons ask for it."""
    if decision not in DECISIONS:
        raise ServiceError(_l("Unknown decision."))
    if decision == "dismiss":
        return dismiss(actor, target_type, target_id)
    target = find_target(target_type, target_id)
    if target is None:
        raise ServiceError(_l("This content no longer exists."))
    if decision == "hide":
        return hide(actor, target, reason)
    if decision == "restore":
        return restore(actor, target)
    if decision == "approve":
        return approve(actor, target)
    return reject(actor, target, reason)


# --- The queue ---------------------------------------------------------------------------------------------------

QUEUE_PER_PAGE = 20


@dataclass
class QueueItem:
    target_type: str
    target_id: int
    target: object  # Comment, Proposal or None when it no longer exists
    proposal: Proposal | None
    reports: list[Report] = field(default_factory=list)
    open_count: int = 0

    @property
    def pending(self) -> bool:
        return isinstance(self.target, Comment) and self.target.visibility == Visibility.PENDING

    @property
    def hidden(self) -> bool:
        if isinstance(self.target, Comment):
            return self.target.visibility == Visibility.HIDDEN
        return self.target is not None and self.target.hidden_at is not None

    @property
    def hidden_reason(self) -> str:
        if isinstance(self.target, Comment):
            return self.target.moderation_reason
        return self.target.hidden_reason if self.target is not None else ""

    @property
    def reason_counts(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for row in self.reports:
            counts[row.reason.value] = counts.get(row.reason.value, 0) + 1
        return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))

    @property
    def top_reason(self) -> str:
        return self.reason_counts[0][0] if self.reports else ReportReason.INSULT.value


def queue(status: str = "open", target_type: str = "", page: int = 1, per_page: int = QUEUE_PER_PAGE):
    """Reported content grouped by target (oldest first), plus comments held for approval when ``status`` is open.

    "decided" lists targets whose reports were decided, most recent decision first. Returns a Flask-SQLAlchemy
    pagination whose items are ``QueueItem``s, in five queries whatever the page size.
    """
    decided = status == "decided"
    report_status = Report.status != ReportStatus.OPEN if decided else Report.status == ReportStatus.OPEN
    reported = select(Report.target_type.label("kind"), Report.target_id.label("ident"),
                      (func.max(Report.decided_at) if decided else func.min(Report.created_at)).label("at"))
    reported = reported.where(report_status)
    if target_type in TARGET_TYPES:
        reported = reported.where(Report.target_type == target_type)
    reported = reported.group_by(Report.target_type, Report.target_id)
    parts = [reported]
    if not decided and target_type in ("", "comment"):
        parts.append(select(literal("comment").label("kind"), Comment.id.label("ident"), Comment.created_at.label("at"))
                     .where(Comment.visibility == Visibility.PENDING, Comment.deleted_at.is_(None)))
    combined = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    moment = func.max(combined.c.at) if decided else func.min(combined.c.at)
    groups = (select(combined.c.kind, combined.c.ident, moment.label("at"))
              .group_by(combined.c.kind, combined.c.ident).subquery())
    # One column per row, so that db.paginate (which reads scalars) pages the groups: "comment:12".
    key = groups.c.kind + literal(":") + cast(groups.c.ident, String)
    order = (groups.c.at.desc() if decided else groups.c.at.asc(), groups.c.kind, groups.c.ident)
    result = db.paginate(select(key).order_by(*order), page=max(1, page), per_page=per_page, max_per_page=None,
                         error_out=False)
    keys = [(kind, int(ident)) for kind, ident in (row.split(":") for row in result.items)]
    result.items = _queue_items(keys, decided)
    return result


def _queue_items(keys, decided: bool) -> list[QueueItem]:
    comment_ids = [ident for kind, ident in keys if kind == "comment"]
    proposal_ids = {ident for kind, ident in keys if kind == "proposal"}
    comments = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))} \
        if comment_ids else {}
    proposal_ids |= {c.proposal_id for c in comments.values()}
    proposals = {}
    if proposal_ids:
        query = select(Proposal).where(Proposal.id.in_(proposal_ids)).options(
            lazyload(Proposal.cycle), defer(Proposal.body_html), defer(Proposal.search_text),
            defer(Proposal.staff_notes))
        proposals = {p.id: p for p in db.session.scalars(query).unique()}
    items = {}
    for kind, ident in keys:
        target = comments.get(ident) if kind == "comment" else proposals.get(ident)
        proposal = proposals.get(target.proposal_id) if isinstance(target, Comment) else target
        items[(kind, ident)] = QueueItem(kind, ident, target, proposal)
    conditions = []
    for kind, ids in (("comment", comment_ids), ("proposal", [i for k, i in keys if k == "proposal"])):
        if ids:
            conditions.append((Report.target_type == kind) & Report.target_id.in_(ids))
    if conditions:
        rows = db.session.scalars(select(Report).options(joinedload(Report.reporter)).where(or_(*conditions))
                                  .order_by(Report.created_at, Report.id)).all()
        for row in rows:
            item = items[(row.target_type, row.target_id)]
            if row.status == ReportStatus.OPEN:
                item.open_count += 1
            if (row.status != ReportStatus.OPEN) == decided:
                item.reports.append(row)
    return list(items.values())


def waiting_count() -> int:
    """Targets with open reports plus comments held for approval (one query): the moderators' reminder."""
    reported = select(func.count()).select_from(
        select(Report.target_type, Report.target_id).where(Report.status == ReportStatus.OPEN)
        .group_by(Report.target_type, Report.target_id).subquery()).scalar_subquery()
    pending = select(func.count()).select_from(Comment).where(
        Comment.visibility == Visibility.PENDING, Comment.deleted_at.is_(None)).scalar_subquery()
    return db.session.scalar(select(reported + pending))


# --- Suspensions -------------------------------------------------------------------------------------------------

def active_suspension(user) -> Suspension | None:
    if not is_suspended(user):
        return None
    return db.session.scalar(select(Suspension).where(
        Suspension.user_id == user.id, Suspension.lifted_at.is_(None), Suspension.ends_at > utcnow())
        .order_by(Suspension.ends_at.desc()).limit(1))


def active_suspensions() -> list[Suspension]:
    return list(db.session.scalars(
        select(Suspension).where(Suspension.lifted_at.is_(None), Suspension.ends_at > utcnow())
        .order_by(Suspension.ends_at)).unique())


def suspend(actor, user: User, days: int, reason: str) -> Suspension:
    """Suspend an account for ``days`` days: it can read but not write. The person is told in-app and by email."""
    if not can(actor, "suspend", user):
        raise NotAllowed(_l("You cannot suspend this account."))
    if not isinstance(days, int) or not MIN_SUSPENSION_DAYS <= days <= MAX_SUSPENSION_DAYS:
        raise ServiceError(_l("A suspension lasts from %(min)d to %(max)d days.", min=MIN_SUSPENSION_DAYS,
                              max=MAX_SUSPENSION_DAYS), field="days")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Please give the reason for the suspension: the person will read it."), field="reason")
    if len(reason) > MAX_SUSPENSION_REASON:
        raise ServiceError(_l("Please keep the reason under %(max)d characters.", max=MAX_SUSPENSION_REASON),
                           field="reason")
    if is_suspended(user):
        raise ServiceError(_l("This account is already suspended until %(date)s. Lift that suspension first to "
                              "change it.", date=format_datetime(as_utc(user.suspended_until), "short")))
    now = utcnow()
    row = Suspension(user_id=user.id, starts_at=now, ends_at=now + timedelta(days=days), reason=reason,
                     moderator_id=actor.id)
    db.session.add(row)
    user.suspended_until = row.ends_at
    db.session.flush()
    audit.record(actor, "account.suspended", user, days=days, until=row.ends_at.isoformat(), reason=reason,
                 suspension=row.id)
    notify(user, "suspension",
           lambda: gettext("Your account is suspended until %(date)s: you can still read everything, but not "
                           "write, support or report. Reason given by the moderator: %(reason)s",
                           date=format_datetime(row.ends_at, "short"), reason=reason),
           email=True, subject=lambda: gettext("Your account is suspended"))
    return row


def lift(actor, suspension: Suspension) -> None:
    """End a running suspension early."""
    user = db.session.get(User, suspension.user_id)
    if not can(actor, "suspend", user):
        raise NotAllowed(_l("You cannot lift this suspension."))
    if suspension.lifted_at is not None or as_utc(suspension.ends_at) <= utcnow():
        raise ServiceError(_l("This suspension has already ended."))
    suspension.lifted_at = utcnow()
    user.suspended_until = None
    db.session.flush()
    audit.record(actor, "account.suspension_lifted", user, suspension=suspension.id)
    notify(user, "suspension", lambda: gettext("Your suspension has been lifted: you can write again."),
           email=True, subject=lambda: gettext("Your suspension has been lifted"))
