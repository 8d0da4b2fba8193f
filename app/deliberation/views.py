"""Comments under proposals. The thread itself is rendered inside the proposal page (``deliberation/_thread.html``,
through the ``comment_thread`` helper below); these routes take the forms it posts and the pages it links to."""

from types import SimpleNamespace

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from app.accounts.services import is_suspended
from app.core.actions import run_and_flash
from app.core.errors import NotAllowed, ServiceError, render_error
from app.core.security import is_safe_path
from app.deliberation import services
from app.deliberation.forms import ActionForm, CommentForm, EditCommentForm, ThreadFilterForm
from app.deliberation.models import Comment, Stance
from app.deliberation.permissions import EDIT_WINDOW, can, is_live, within_edit_window
from app.extensions import db, limiter
from app.proposals.models import Proposal
from app.proposals.permissions import can as can_proposal

bp = Blueprint("deliberation", __name__, url_prefix="/comments", template_folder="templates")

DEFAULT_COMMENT_LIMIT = "10 per minute;60 per hour"
DEFAULT_ADDRESS_LIMIT = "30 per minute;300 per hour"


def _account_limit() -> str:
    return current_app.config.get("COMMENT_RATE_LIMIT", DEFAULT_COMMENT_LIMIT)


def _address_limit() -> str:
    return current_app.config.get("COMMENT_ADDRESS_RATE_LIMIT", DEFAULT_ADDRESS_LIMIT)


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else get_remote_address()


_per_account = limiter.limit(_account_limit, key_func=_account_key, methods=["POST"])
_per_address = limiter.limit(_address_limit, methods=["POST"])  # the default key: the client's address


# --- helpers for the proposal page ---------------------------------------------------------------------------------


def report_url(comment: Comment) -> str | None:
    """The moderation report form for a comment, or None while the moderation pages do not exist."""
    try:
        return url_for("moderation.report", target_type="comment", target_id=comment.id)
    except BuildError:
        return None


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and len(raw) < 7 else 1


def thread_for(proposal: Proposal) -> SimpleNamespace:
    """Everything the thread partial shows, read from the page's GET parameters (bad values fall back)."""
    filters = ThreadFilterForm(formdata=request.args)
    filters.validate()
    if filters.stance.errors or not filters.stance.data:
        filters.stance.data = ""
    if filters.sort.errors or not filters.sort.data:
        filters.sort.data = "oldest"
    stance = Stance(filters.stance.data) if filters.stance.data else None
    thread = services.load_thread(proposal, current_user, sort=filters.sort.data, stance=stance, page=_page_arg())
    form = CommentForm(formdata=None, cycle_id=proposal.cycle_id)
    return SimpleNamespace(thread=thread, form=form, filters=filters,
                           may_answer=can(current_user, "answer_officially", proposal))


def comment_context(view, show_more: bool) -> dict:
    """What every comment of a thread or conversation needs, worked out once for the page."""
    writer = current_user.is_authenticated and not is_suspended(current_user)
    return {
        "useful_ids": view.useful_ids,
        "reports": view.reports,
        "open": view.open,
        "writer": writer,
        "may_reply": not current_user.is_authenticated or writer and can(current_user, "comment"),
        "next": request.full_path if request.query_string else request.path,
        "show_more": show_more,
        "flat": getattr(view, "stance", None) is not None,  # a list filtered by stance: replies out of their thread
    }


@bp.app_context_processor
def deliberation_helpers():
    return {
        "comment_thread": thread_for,
        "comment_context": comment_context,
        "can_comment": can,
        "stance_label": services.stance_label,
        "comment_hidden_label": services.hidden_label,
        "comment_report_url": report_url,
        "account_suspended": is_suspended,
        "comment_stances": Stance,
        "max_comment_depth": services.MAX_DEPTH,
        "comment_edit_minutes": int(EDIT_WINDOW.total_seconds() // 60),
    }


# --- loading -------------------------------------------------------------------------------------------------------


def _load_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not can_proposal(current_user, "view", proposal):
        abort(404)
    return proposal


def _load_comment(comment_id: int) -> tuple[Comment, Proposal]:
    """A comment the current user may see, on a proposal whose page shows its thread."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not services.can_see(current_user, comment):
        abort(404)
    proposal = _load_proposal(comment.proposal_id)
    if proposal.hidden_at is not None:
        abort(404)
    return comment, proposal


def _comment_link(proposal: Proposal, comment: Comment) -> str:
    """The page where the current user finds this comment (its page of the thread, or its conversation)."""
    where, page = services.locate(comment, current_user)
    anchor = f"comment-{comment.id}"
    if where == "conversation":
        return url_for("deliberation.conversation", comment_id=comment.root_id, page=page if page > 1 else None,
                       _anchor=anchor)
    return url_for("proposals.show", proposal_id=proposal.id, page=page if page > 1 else None, _anchor=anchor)


def _back(proposal: Proposal, comment: Comment) -> str:
    """Back where the reader was (thread order, filters, page), at the comment."""
    target = request.form.get("next", "")
    if is_safe_path(target) and target.startswith((f"/proposals/{proposal.id}", "/comments/")):
        return f"{target.split('#')[0]}#comment-{comment.id}"
    return _comment_link(proposal, comment)


def _show_error(form, error: ServiceError) -> str | None:
    """Put a service's message on its field; return it when it concerns no field (shown above the form)."""
    target = getattr(form, error.field, None) if error.field else None
    if target is None:
        return str(error.message)
    target.errors = [*target.errors, error.message]
    return None


# --- routes --------------------------------------------------------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>", methods=["POST"])
@login_required
@_per_account
@_per_address
def post(proposal_id: int):
    """Publish a comment or a reply. Bad input shows the form again (422); a closed thread answers 403."""
    proposal = _load_proposal(proposal_id)
    form = CommentForm()
    parent, problem = None, None
    if form.parent_id.data:
        parent = db.session.get(Comment, form.parent_id.data)
        if parent is None or not services.can_see(current_user, parent):
            abort(404)
    status = 422
    if form.validate_on_submit():
        try:
            comment = services.post_comment(
                current_user, proposal, form.body.data, form.stance.data, parent=parent,
                official=form.official.data, cycle_id=form.cycle_id.data, address=request.remote_addr,
            )
        except ServiceError as error:
            db.session.rollback()
            problem = _show_error(form, error)
            status = 403 if isinstance(error, NotAllowed) else 422
        else:
            db.session.commit()
            if comment.visibility.value == "pending":
                flash(_("Thank you. Your comment will be published once a moderator has read it."), "success")
            else:
                flash(_("Thank you, your comment is published."), "success")
            return redirect(_comment_link(proposal, comment))
    return render_template("deliberation/form.html", form=form, proposal=proposal, parent=parent,
                           problem=problem), status


@bp.route("/<int:comment_id>")
def conversation(comment_id: int):
    """A top-level comment with all its replies (the thread on the proposal page shows the first ones)."""
    comment, proposal = _load_comment(comment_id)
    if comment.root_id is not None:
        return redirect(url_for("deliberation.conversation", comment_id=comment.root_id,
                                _anchor=f"comment-{comment.id}"))
    view = services.load_conversation(proposal, comment, current_user, page=_page_arg())
    return render_template("deliberation/conversation.html", proposal=proposal, view=view)


@bp.route("/<int:comment_id>/reply")
@login_required
def reply(comment_id: int):
    """The reply form (a page of its own, so that the thread carries no form per comment and needs no script)."""
    comment, proposal = _load_comment(comment_id)
    reason = services.closed_reason(proposal)
    if reason is None and not is_live(comment):
        reason = _("This comment cannot be answered.")
    if reason is None and is_suspended(current_user):
        reason = _("Your account is suspended: you can read the discussion but not take part in it.")
    if reason is None and not can(current_user, "comment", proposal):
        reason = _("Please confirm your email address to take part in the discussion.")
    if reason is not None:
        flash(str(reason), "error")
        return redirect(_comment_link(proposal, comment))
    # Past the deepest level, a reply joins the same conversation: it answers the comment's parent, flat.
    attach_to = comment if comment.depth < services.MAX_DEPTH else db.session.get(Comment, comment.parent_id)
    form = CommentForm(formdata=None, parent_id=attach_to.id, cycle_id=proposal.cycle_id)
    return render_template("deliberation/form.html", form=form, proposal=proposal, parent=comment)


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    comment, proposal = _load_comment(comment_id)
    if not can(current_user, "edit", comment):
        if comment.author_id == current_user.id and comment.deleted_at is None and not within_edit_window(comment):
            return render_error(403, _("A comment can only be changed during the %(minutes)d minutes after it was "
                                       "posted.", minutes=int(EDIT_WINDOW.total_seconds() // 60)))
        abort(403)
    form = EditCommentForm(obj=comment)
    if not form.is_submitted():
        form.stance.data = comment.stance.value
    status, problem = 200, None
    if form.validate_on_submit():
        try:
            services.edit_comment(current_user, comment, form.body.data, form.stance.data)
        except ServiceError as error:
            db.session.rollback()
            problem = _show_error(form, error)
            status = 403 if isinstance(error, NotAllowed) else 422
        else:
            db.session.commit()
            flash(_("Your comment has been changed."), "success")
            return redirect(_comment_link(proposal, comment))
    elif form.errors:
        status = 422
    return render_template("deliberation/edit.html", form=form, proposal=proposal, comment=comment,
                           problem=problem), status


@bp.route("/<int:comment_id>/delete", methods=["GET", "POST"])
@login_required
def delete(comment_id: int):
    comment, proposal = _load_comment(comment_id)
    if not can(current_user, "delete", comment):
        abort(403)
    form = ActionForm()
    if form.validate_on_submit():
        try:
            services.delete_comment(current_user, comment)
        except ServiceError as error:
            db.session.rollback()
            return render_error(403, error.message)
        db.session.commit()
        flash(_("Your comment has been deleted."), "success")
        return redirect(_comment_link(proposal, comment))
    if form.is_submitted():
        abort(400)
    return render_template("deliberation/delete.html", form=form, proposal=proposal, comment=comment)


def _useful_action(comment_id: int, operation, message: str):
    comment, proposal = _load_comment(comment_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_and_flash(lambda: operation(comment), message)
    return redirect(_back(proposal, comment))


@bp.route("/<int:comment_id>/useful", methods=["POST"])
@login_required
def useful(comment_id: int):
    return _useful_action(comment_id, lambda c: services.mark_useful(current_user, c),
                          _("Thank you: you marked this comment as useful."))


@bp.route("/<int:comment_id>/not-useful", methods=["POST"])
@login_required
def not_useful(comment_id: int):
    return _useful_action(comment_id, lambda c: services.unmark_useful(current_user, c),
                          _("Your “useful” mark has been withdrawn."))
