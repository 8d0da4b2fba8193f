"""Comments on proposals: threads with a stance, "useful" marks, short edits, deletions and the city's answers.

Services take the acting user, flush, and leave the commit to the caller. Reports, hiding and suspensions live in
``app.deliberation.moderation``; this module only asks it whether a text must wait for a moderator.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, false, func, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from app.accounts.services import ensure_can_write
from app.core import audit
from app.core.clock import utcnow
from app.core.errors import NotAllowed, ServiceError
from app.core.notify import notify
from app.core.rendering import render_markdown
from app.cycles.models import CITY_CYCLE_IDS
from app.cycles.phases import allows
from app.cycles.services import phase_of
from app.deliberation.models import Comment, CommentUseful, Stance, Visibility
from app.deliberation.permissions import EDIT_WINDOW, can
from app.extensions import db
from app.proposals.models import Proposal, ProposalStatus
from app.proposals.services import followers, notify_followers, proposal_url

try:
    from app.deliberation.moderation import hidden_label, holds_for_moderation, report_counts
except ImportError:  # pragma: no cover - the moderation module is written alongside this one

    def holds_for_moderation(text: str) -> bool:
        return False

    def report_counts(target_type: str, ids) -> dict[int, int]:
        return dict.fromkeys(ids, 0)

    def hidden_label(reason) -> str:
        return gettext("Hidden by moderation: %(reason)s", reason=reason)


MAX_DEPTH = 3  # a root comment is depth 0; replies nest to depth 3, then continue flat at depth 3
BODY_MIN = 2
BODY_MAX = 5000
DUPLICATE_WINDOW = timedelta(hours=24)
ROOTS_PER_PAGE = 20
REPLIES_PER_ROOT = 50  # on the proposal page; the conversation page shows them all
REPLIES_PER_PAGE = 200  # on the conversation page
MAX_PINNED = 5

STANCE_LABELS = {
    Stance.FOR: _l("For"),
    Stance.AGAINST: _l("Against"),
    Stance.NEUTRAL: _l("Neutral"),
}
SORTS = {
    "oldest": _l("Oldest first"),
    "newest": _l("Newest first"),
    "useful": _l("Most useful first"),
}
def stance_label(stance) -> str:
    return str(STANCE_LABELS[Stance(stance)])


# --- rules ---------------------------------------------------------------------------------------------------------


def closed_reason(proposal: Proposal) -> str | None:
    """Why nobody can comment on this proposal now (a lazily translated sentence), or None when the thread is open."""
    if proposal.status == ProposalStatus.DRAFT:
        return _l("A draft cannot be commented on.")
    if proposal.hidden_at is not None:
        return _l("This proposal was hidden by moderation: it cannot be commented on.")
    if proposal.status == ProposalStatus.WITHDRAWN:
        return _l("This proposal was withdrawn by its author: the discussion is closed.")
    if proposal.status == ProposalStatus.MERGED:
        return _l("This proposal was merged into another one: the discussion continues there.")
    if not allows(phase_of(proposal.cycle), "comment"):
        return _l("The discussion is closed: comments are open from the submission phase to the end of "
                  "the vote. You can still read them.")
    return None


def _require_open(proposal: Proposal, cycle_id: int | None = None) -> None:
    if cycle_id is not None and cycle_id != proposal.cycle_id:
        raise NotAllowed(_l("This proposal does not belong to the budget you are commenting on."))
    reason = closed_reason(proposal)
    if reason is not None:
        raise NotAllowed(reason)


def _clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(body) < BODY_MIN:
        raise ServiceError(_l("Please write a comment of at least %(min)d characters.", min=BODY_MIN), field="body")
    if len(body) > BODY_MAX:
        raise ServiceError(_l("A comment can have at most %(max)d characters (yours has %(count)d). Please shorten "
                              "it.", max=BODY_MAX, count=len(body)), field="body")
    return body


def _stance(value) -> Stance:
    try:
        return Stance(value)
    except ValueError:
        raise ServiceError(_l("Please say whether you are for, against or neutral."), field="stance")


def _refuse_duplicate(actor, body: str, exclude_id: int | None = None) -> None:
    query = select(Comment.id).where(
        Comment.author_id == actor.id, Comment.body == body, Comment.deleted_at.is_(None),
        Comment.created_at >= utcnow() - DUPLICATE_WINDOW,
    )
    if exclude_id is not None:
        query = query.where(Comment.id != exclude_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ServiceError(_l("You already posted this exact comment today. Please do not repeat it."), field="body")


def hash_address(address: str | None) -> str:
    """A keyed hash of the client's address (for per-address limits and moderation): never the address itself."""
    if not address:
        return ""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


# --- rendering: Markdown with links to other proposals ----------------------------------------------------------

_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_MENTION = re.compile(r"(?<![\w/#&\[])#(\d{1,9})\b")


def link_mentions(text: str) -> str:
    """Turn "#123" into a Markdown link to proposal 123 when its page is public (not a draft, not hidden)."""
    parts = _CODE.split(text)
    wanted = {int(n) for i, part in enumerate(parts) if i % 2 == 0 for n in _MENTION.findall(part)}
    if not wanted:
        return text
    found = db.session.scalars(
        select(Proposal).where(Proposal.id.in_(wanted), Proposal.status != ProposalStatus.DRAFT,
                               Proposal.hidden_at.is_(None), Proposal.cycle_id.in_(CITY_CYCLE_IDS))
    ).all()
    links = {p.id: proposal_url(p) for p in found}

    def replace(match):
        number = int(match.group(1))
        return f"[#{number}]({links[number]})" if number in links else match.group(0)

    return "".join(_MENTION.sub(replace, part) if i % 2 == 0 else part for i, part in enumerate(parts))


def render_comment(text: str) -> str:
    return render_markdown(link_mentions(text))


# --- counters ------------------------------------------------------------------------------------------------------


def _shown():
    """Comments everyone reads with their text: what ``Proposal.comments_count`` and the balance count."""
    return and_(Comment.visibility == Visibility.VISIBLE, Comment.deleted_at.is_(None))


def _shifted(column, delta: int):
    """``column + delta`` in SQL (atomic under concurrent requests), never below zero."""
    return column + delta if delta > 0 else case((column + delta < 0, 0), else_=column + delta)


def _add_to_count(proposal: Proposal, delta: int) -> None:
    db.session.execute(update(Proposal).where(Proposal.id == proposal.id)
                       .values(comments_count=_shifted(Proposal.comments_count, delta)))
    db.session.refresh(proposal, ["comments_count"])


# --- writing -------------------------------------------------------------------------------------------------------


def _notify_new(actor, proposal: Proposal, comment: Comment, parent: Comment | None) -> None:
    link = f"{proposal_url(proposal)}#comment-{comment.id}"
    name = actor.public_name
    title = proposal.display_title
    if comment.is_official:
        message = lambda: gettext("The city answered on “%(title)s”.", title=title)  # noqa: E731
    else:
        message = lambda: gettext("%(name)s commented on “%(title)s”.", name=name, title=title)  # noqa: E731
    notify_followers(proposal, "comment.new", message, exclude_user_id=actor.id)
    answered = parent.author if parent is not None else None
    if answered is None or answered.id == actor.id:
        return
    if any(user.id == answered.id for user, _by_email in followers(proposal)):
        return  # already told as a follower
    notify(answered, "comment.reply",
           lambda: gettext("%(name)s answered your comment on “%(title)s”.", name=name, title=title), link=link)


def post_comment(actor, proposal: Proposal, body: str, stance, parent: Comment | None = None,
                 official: bool = False, cycle_id: int | None = None, address: str | None = None) -> Comment:
    """Publish a comment (or a reply to ``parent``); held for a moderator when it contains a forbidden word.

    ``cycle_id`` is the budget the form claims the proposal belongs to; ``address`` the client's address (only
    its keyed hash is stored).
    """
    ensure_can_write(actor)
    if not can(actor, "comment", proposal):
        raise NotAllowed(_l("Please confirm your email address before commenting."))
    _require_open(proposal, cycle_id)
    body = _clean_body(body)
    stance = _stance(stance)
    if parent is not None:
        if parent.proposal_id != proposal.id:
            raise NotAllowed(_l("This reply does not belong to this proposal's discussion."))
        if parent.visibility == Visibility.PENDING:
            raise ServiceError(_l("This comment cannot be answered before a moderator has read it."), field="body")
        if parent.depth >= MAX_DEPTH:
            raise ServiceError(_l("Replies can be nested at most %(max)d levels deep: please answer in the "
                                  "conversation above instead.", max=MAX_DEPTH), field="body")
    if official and not can(actor, "answer_officially", proposal):
        raise NotAllowed(_l("Only an official or the proposal's reviewer can publish the city's answer."))
    _refuse_duplicate(actor, body)
    held = holds_for_moderation(body)
    comment = Comment(
        proposal_id=proposal.id, author=actor, parent_id=parent.id if parent else None,
        root_id=(parent.root_id or parent.id) if parent else None, depth=parent.depth + 1 if parent else 0,
        stance=stance, body=body, body_html=render_comment(body), is_official=bool(official),
        visibility=Visibility.PENDING if held else Visibility.VISIBLE, ip_hash=hash_address(address),
    )
    db.session.add(comment)
    db.session.flush()
    if comment.is_official:
        audit.record(actor, "comment.official_answer", comment, proposal=proposal.id, held=held)
    if not held:
        _add_to_count(proposal, 1)
        _notify_new(actor, proposal, comment, parent)
    return comment


def _proposal_of(comment: Comment) -> Proposal:
    return db.session.get(Proposal, comment.proposal_id)


def edit_comment(actor, comment: Comment, body: str, stance) -> Comment:
    """The author changes their comment within ``EDIT_WINDOW``; the page then shows "edited"."""
    ensure_can_write(actor)
    if not can(actor, "edit", comment):
        raise NotAllowed(_l("Only its author can change a comment, and only during the %(minutes)d minutes after "
                            "posting it.", minutes=int(EDIT_WINDOW.total_seconds() // 60)))
    proposal = _proposal_of(comment)
    _require_open(proposal)
    body = _clean_body(body)
    stance = _stance(stance)
    if body == comment.body and stance == comment.stance:
        return comment
    if body != comment.body:
        _refuse_duplicate(actor, body, exclude_id=comment.id)
    was_shown = comment.visibility == Visibility.VISIBLE
    comment.body, comment.body_html, comment.stance = body, render_comment(body), stance
    comment.edited_at = utcnow()
    if holds_for_moderation(body) and comment.visibility == Visibility.VISIBLE:
        comment.visibility = Visibility.PENDING
    db.session.flush()
    if was_shown and comment.visibility != Visibility.VISIBLE:
        _add_to_count(proposal, -1)
    if comment.is_official:
        audit.record(actor, "comment.official_answer_edited", comment, proposal=proposal.id)
    return comment


def delete_comment(actor, comment: Comment) -> None:
    """The author deletes their comment: its text goes, a placeholder keeps the replies readable."""
    ensure_can_write(actor)
    if not can(actor, "delete", comment):
        raise NotAllowed(_l("Only its author can delete a comment."))
    proposal = _proposal_of(comment)
    was_shown = comment.visibility == Visibility.VISIBLE
    comment.deleted_at = utcnow()
    comment.body = ""
    comment.body_html = ""
    db.session.flush()
    if was_shown:
        _add_to_count(proposal, -1)
    if comment.is_official:
        audit.record(actor, "comment.official_answer_deleted", comment, proposal=proposal.id)


def _change_useful(comment: Comment, delta: int) -> None:
    db.session.execute(update(Comment).where(Comment.id == comment.id)
                       .values(useful_count=_shifted(Comment.useful_count, delta)))
    db.session.refresh(comment, ["useful_count"])


def mark_useful(actor, comment: Comment) -> bool:
    """Mark someone else's comment useful, once; returns False if it already was."""
    ensure_can_write(actor)
    if not can(actor, "mark_useful", comment):
        raise NotAllowed(_l("You cannot mark this comment as useful."))
    _require_open(_proposal_of(comment))
    exists = db.session.scalar(select(CommentUseful.id).where(CommentUseful.comment_id == comment.id,
                                                              CommentUseful.user_id == actor.id))
    if exists:
        return False
    try:
        with db.session.begin_nested():  # a double click meets the unique constraint, not a server error
            db.session.add(CommentUseful(comment_id=comment.id, user_id=actor.id))
    except IntegrityError:
        return False
    _change_useful(comment, 1)
    return True


def unmark_useful(actor, comment: Comment) -> bool:
    ensure_can_write(actor)
    _require_open(_proposal_of(comment))
    removed = db.session.execute(delete(CommentUseful).where(CommentUseful.comment_id == comment.id,
                                                             CommentUseful.user_id == actor.id)).rowcount
    if removed:
        _change_useful(comment, -1)
    return bool(removed)


# --- reading -------------------------------------------------------------------------------------------------------


@dataclass
class Node:
    comment: Comment
    children: list["Node"] = field(default_factory=list)
    reply_total: int = 0  # replies of a root the viewer may see, shown or not

    @property
    def more_replies(self) -> bool:
        return self.reply_total > REPLIES_PER_ROOT


@dataclass
class Page:
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


@dataclass
class Thread:
    pinned: list[Node]
    roots: list[Node]
    balance: dict[Stance, int]
    page: Page
    sort: str
    stance: Stance | None
    useful_ids: set[int]
    reports: dict[int, int]
    closed_reason: str | None

    @property
    def open(self) -> bool:
        return self.closed_reason is None

    @property
    def shown_total(self) -> int:
        return sum(self.balance.values())


def viewable_condition(viewer):
    """Comments a viewer may see in a thread: visible ones, placeholders of hidden ones, pending ones if allowed."""
    if can(viewer, "see_pending"):
        return true()
    shown = Comment.visibility.in_([Visibility.VISIBLE, Visibility.HIDDEN])
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return or_(shown, Comment.author_id == viewer.id)
    return shown


def _pinned_roots(proposal_id: int):
    """The city's answers pinned at the top: the most recent top-level official comments everyone reads."""
    return (select(Comment.id)
            .where(Comment.proposal_id == proposal_id, Comment.parent_id.is_(None), Comment.is_official.is_(True),
                   _shown())
            .order_by(Comment.id.desc()).limit(MAX_PINNED))


_ORDER = {
    "oldest": (Comment.id.asc(),),
    "newest": (Comment.id.desc(),),
    "useful": (Comment.useful_count.desc(), Comment.id.asc()),
}
_KEY = {
    "oldest": lambda c: c.id,
    "newest": lambda c: -c.id,
    "useful": lambda c: (-c.useful_count, c.id),
}


def _tree(comments: list[Comment], totals: dict[int, int], root_ids: set[int]) -> dict[int, Node]:
    """Nodes by id, children in chronological order. A reply whose parent the viewer cannot see joins its root."""
    nodes = {comment.id: Node(comment, reply_total=totals.get(comment.id, 0)) for comment in comments}
    for comment in sorted(comments, key=lambda c: c.id):
        if comment.id in root_ids:
            continue
        parent = nodes.get(comment.parent_id) or nodes.get(comment.root_id)
        if parent is not None:
            parent.children.append(nodes[comment.id])
    return nodes


def _marks(viewer, ids) -> tuple[set[int], dict[int, int]]:
    ids = list(ids)
    useful: set[int] = set()
    if ids and viewer is not None and getattr(viewer, "is_authenticated", False):
        useful = set(db.session.scalars(select(CommentUseful.comment_id).where(
            CommentUseful.user_id == viewer.id, CommentUseful.comment_id.in_(ids))))
    reports = report_counts("comment", ids) if ids and can(viewer, "see_reports") else {}
    return useful, reports


def load_thread(proposal: Proposal, viewer, sort: str = "oldest", stance: Stance | None = None,
                page: int = 1) -> Thread:
    """A page of the thread, the city's answers pinned on its first page, and the balance of opinions.

    Without a stance: ``ROOTS_PER_PAGE`` top-level comments with up to ``REPLIES_PER_ROOT`` replies each (deleted and
    hidden ones as placeholders). With a stance: a flat list of the comments of that stance at any depth, each
    linked to its conversation. A fixed number of queries whatever the size of the thread: counts, comments (with
    their authors), the viewer's useful marks, and for moderators the open reports.
    """
    sort = sort if sort in _ORDER else "oldest"
    viewable = viewable_condition(viewer)
    # Common table expressions: each subquery runs once per statement however often the statement refers to it.
    pinned_roots = select(_pinned_roots(proposal.id).cte("pinned_roots").c.id)
    if stance is None:
        listed = and_(Comment.parent_id.is_(None), viewable, Comment.id.not_in(pinned_roots))
    else:  # placeholders carry no public stance: only comments whose text the viewer reads
        listed = and_(Comment.stance == stance, viewable, Comment.deleted_at.is_(None),
                      Comment.visibility != Visibility.HIDDEN, Comment.id.not_in(pinned_roots))

    # One query for the balance (everyone sees the same) and the number of listed comments.
    counts = db.session.execute(
        select(Comment.stance,
               func.count(case((_shown(), 1))),
               func.count(case((listed, 1))))
        .where(Comment.proposal_id == proposal.id).group_by(Comment.stance)
    ).all()
    balance = dict.fromkeys(Stance, 0)
    for row_stance, shown, _listed in counts:
        balance[Stance(row_stance)] = shown
    listed_total = sum(row[2] for row in counts)
    pages = max(1, -(-listed_total // ROOTS_PER_PAGE))
    page = min(max(1, page), pages)

    page_items = select(
        select(Comment.id).where(Comment.proposal_id == proposal.id, listed)
        .order_by(*_ORDER[sort]).limit(ROOTS_PER_PAGE).offset((page - 1) * ROOTS_PER_PAGE)
        .cte("page_items").c.id
    )
    tops = [page_items, pinned_roots] if page == 1 else [page_items]
    with_replies = tops if stance is None else tops[1:]  # a filtered list is flat; pinned answers keep replies
    ranked = (
        select(Comment.id.label("id"),
               func.row_number().over(partition_by=Comment.root_id, order_by=Comment.id).label("position"),
               func.count().over(partition_by=Comment.root_id).label("total"))
        .where(or_(false(), *(Comment.root_id.in_(ids) for ids in with_replies)), viewable)
        .subquery()
    )
    # One query for the comments of the page, their authors (joined) and how many replies each root has.
    rows = db.session.execute(
        select(Comment, ranked.c.total, Comment.id.in_(page_items).label("listed"),
               Comment.id.in_(pinned_roots).label("pinned"))
        .outerjoin(ranked, ranked.c.id == Comment.id)
        .where(Comment.proposal_id == proposal.id,
               or_(*(Comment.id.in_(ids) for ids in tops), ranked.c.position <= REPLIES_PER_ROOT))
    ).all()

    comments = [row[0] for row in rows]
    totals = {comment.root_id: total for comment, total, _listed, _pinned in rows if total is not None}
    listed_ids = {comment.id for comment, _total, is_listed, _pinned in rows if is_listed}
    pinned_ids = {comment.id for comment, _total, _listed, is_pinned in rows
                  if is_pinned and comment.parent_id is None and page == 1} - listed_ids
    nodes = _tree(comments, totals, listed_ids | pinned_ids)
    useful, reports = _marks(viewer, nodes)
    return Thread(pinned=sorted((nodes[i] for i in pinned_ids), key=lambda n: -n.comment.id),
                  roots=sorted((nodes[i] for i in listed_ids), key=lambda n: _KEY[sort](n.comment)),
                  balance=balance, page=Page(page, pages, listed_total), sort=sort, stance=stance,
                  useful_ids=useful, reports=reports, closed_reason=closed_reason(proposal))


def locate(comment: Comment, viewer) -> tuple[str, int]:
    """Where a reader finds a comment: ("thread", page of the proposal page in the default order) or, for a reply
    beyond the first ``REPLIES_PER_ROOT`` of its conversation, ("conversation", page of the conversation page)."""
    viewable = viewable_condition(viewer)
    root_id = comment.root_id or comment.id
    if comment.root_id is not None:
        position = db.session.scalar(select(func.count()).select_from(Comment).where(
            Comment.root_id == root_id, Comment.id <= comment.id, viewable))
        if position > REPLIES_PER_ROOT:
            return "conversation", 1 + (position - 1) // REPLIES_PER_PAGE
    pinned = _pinned_roots(comment.proposal_id)
    if root_id in set(db.session.scalars(pinned)):
        return "thread", 1
    before = db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.proposal_id == comment.proposal_id, Comment.parent_id.is_(None), Comment.id < root_id, viewable,
        Comment.id.not_in(pinned)))
    return "thread", 1 + before // ROOTS_PER_PAGE


@dataclass
class Conversation:
    root: Node
    page: Page
    useful_ids: set[int]
    reports: dict[int, int]
    closed_reason: str | None

    @property
    def open(self) -> bool:
        return self.closed_reason is None


def load_conversation(proposal: Proposal, root: Comment, viewer, page: int = 1) -> Conversation:
    """A top-level comment with all its replies, ``REPLIES_PER_PAGE`` at a time (the "see all replies" page)."""
    viewable = viewable_condition(viewer)
    total = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.root_id == root.id, viewable))
    pages = max(1, -(-total // REPLIES_PER_PAGE))
    page = min(max(1, page), pages)
    replies = db.session.scalars(
        select(Comment).where(Comment.root_id == root.id, viewable).order_by(Comment.id)
        .limit(REPLIES_PER_PAGE).offset((page - 1) * REPLIES_PER_PAGE)
    ).all()
    nodes = _tree([root, *replies], {root.id: total}, {root.id})
    useful, reports = _marks(viewer, nodes)
    return Conversation(root=nodes[root.id], page=Page(page, pages, total), useful_ids=useful, reports=reports,
                        closed_reason=closed_reason(proposal))


def can_see(viewer, comment: Comment) -> bool:
    """Whether a viewer may open this comment's page (pending comments: author and moderators only)."""
    return comment.visibility != Visibility.PENDING or can(viewer, "see_pending", comment)

