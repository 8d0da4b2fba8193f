"""Voting-code pages: officials generate, print and void batches; residents type a code and vote; the staff desk.

A code is typed once, on ``/code`` (POST only: never in an address). From then on the pages carry a signed token
of the code's id in a hidden field (``voting_code``), like the receipt code and the paper token of the web ballot,
whose form, templates and checks these pages reuse (``app.voting.views``).

The printable sheet is the response to the POST that generates the batch, with ``Cache-Control: no-store``: the
codes are in that response only. The generating form carries a one-time key; sending it again (a reload, the back
button, a double click) finds the batch already made and leads back to the list of batches, without generating a
second batch or showing the codes again (``codes.BatchAlreadyGenerated``).
"""

import secrets

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user

from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.core.transactions import end_reads
from app.cycles.models import Cycle, District
from app.cycles.services import get_cycle_by_slug
from app.extensions import db, limiter
from app.voting import codes, desk, services
from app.voting.codes_forms import BatchForm, CodeDetailsForm, CodeForm
from app.voting.forms import ballot_form, submitted_choices
from app.voting.permissions import can
from app.voting.views import _no_store, _render_ballot, review_response

bp = Blueprint("codes", __name__, template_folder="templates")

TOKEN_FIELD = "voting_code"  # noqa: S105 (a form field name)


def _failed(response) -> bool:
    return response.status_code >= 400


# Failed attempts only (see CODE_RATE_LIMIT): a wrong, used or cancelled code, a wrong identifier. A school whose
# pupils vote one after the other from one address is never blocked by their successes.
_entry_limited = limiter.shared_limit(lambda: current_app.config["CODE_RATE_LIMIT"], scope="voting-code-entry",
                                      methods=["POST"], deduct_when=_failed)


def _cycle(slug: str) -> Cycle:
    return get_cycle_by_slug(slug) or abort(404)


def _no_store_page(template: str, status: int = 200, **context):
    response = _no_store(make_response(render_template(template, **context), status))
    response.headers["Pragma"] = "no-cache"
    return response


# --- Officials: batches ----------------------------------------------------------------------------------------------


def _batch_form(cycle: Cycle) -> BatchForm:
    form = BatchForm()
    districts = codes.code_districts(cycle)
    if districts:
        form.district.fill(db.session, District, rows=districts)
    else:
        del form.district
    return form


@bp.route("/vote/<slug>/codes", methods=["GET", "POST"])
@require(can, "codes.manage")
def batches(slug: str):
    cycle = _cycle(slug)
    form = _batch_form(cycle)
    problem = None
    if form.validate_on_submit():
        district = form.district.row if "district" in form else None
        end_reads()
        try:
            batch, generated = codes.generate_batch(current_user, cycle, district, form.label.data, form.count.data,
                                                    form.census_bound.data, form.form_key.data or "")
        except codes.BatchAlreadyGenerated as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("codes.batches", slug=cycle.slug), 303)
        except ServiceError as error:
            db.session.rollback()
            if error.field and error.field in form:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                problem = error.message
        else:
            db.session.commit()
            desk.forget_figures(cycle)
            return _sheet(cycle, batch, generated)
    if not form.form_key.data:
        form.form_key.data = secrets.token_urlsafe(24)
    status = 422 if form.errors or problem else 200
    return render_template("voting/codes.html", cycle=cycle, form=form, problem=problem,
                           rows=codes.batches_of(cycle), generation_open=codes.generation_open(cycle),
                           address=vote_address()), status


def vote_address() -> str:
    """The address printed on the sheet: ``BASE_URL`` (the public address) when set, else this request's host."""
    base = current_app.config.get("BASE_URL")
    if base:
        return base.rstrip("/") + url_for("codes.enter")
    return url_for("codes.enter", _external=True)


def _sheet(cycle: Cycle, batch, generated: list[str]):
    """The printable sheet: the only response that ever holds the codes (never cached, never stored)."""
    response = _no_store_page("voting/code_sheet.html", cycle=cycle, batch=batch, codes=generated,
                              window=codes.voting_window(cycle), address=vote_address())
    response.headers["Expires"] = "0"
    return response


@bp.route("/vote/<slug>/codes/<int:batch_id>/void", methods=["POST"])
@require(can, "codes.manage")
def void(slug: str, batch_id: int):
    cycle = _cycle(slug)
    batch = codes.batch_of(cycle, batch_id) or abort(404)
    end_reads()
    try:
        unused = codes.void_batch(current_user, batch)
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        desk.forget_figures(cycle)
        flash(_("The batch “%(label)s” has been voided: its %(count)d unused codes no longer work.",
                label=batch.label, count=unused), "success")
    return redirect(url_for("codes.batches", slug=cycle.slug), 303)


# --- Residents: typing a code, then the ballot -----------------------------------------------------------------------


def _entry_page(form: CodeForm, status: int = 200):
    return _no_store_page("voting/code_enter.html", status, form=form)


def _start_again(message):
    """A token that no longer stands for a usable code (expired, used, cancelled): back to typing a code."""
    form = CodeForm(formdata=None)
    form.code.errors = [message]
    return _entry_page(form, 422)


def _details_page(entry: codes.CodeEntry, form: CodeDetailsForm, problem=None, status: int = 200):
    return _no_store_page("voting/code_details.html", status, cycle=entry.cycle, batch=entry.batch, form=form,
                          problem=problem)


@bp.route("/code", methods=["GET", "POST"])
@_entry_limited
def enter():
    form = CodeForm()
    if form.validate_on_submit():
        try:
            entry = codes.open_code(form.code.data)
        except ServiceError as error:
            form.code.errors = [*form.code.errors, error.message]
        else:
            if entry.needs_details:
                details = CodeDetailsForm(formdata=None, voting_code=entry.token)
                return _details_page(entry, details.keep(entry.ask_identifier, entry.ask_birth_year))
            return _ballot(entry.token)
    return _entry_page(form, 422 if form.errors else 200)


@bp.route("/code/details", methods=["POST"])
@_entry_limited
def details():
    token = (request.form.get(TOKEN_FIELD) or "")[:1000]
    try:
        entry = codes.entry_from_token(token)
    except ServiceError as error:
        return _start_again(error.message)
    form = CodeDetailsForm().keep(entry.ask_identifier, entry.ask_birth_year)
    problem = None
    if form.validate_on_submit():
        identifier = form.identifier.data if "identifier" in form else None
        year = form.birth_year.data if "birth_year" in form else None
        try:
            _cycle_, new_token = codes.confirm_details(token, identifier, year)
        except ServiceError as error:
            if error.field and error.field in form:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                problem = error.message
        else:
            return _ballot(new_token)
    return _details_page(entry, form, problem, 422)


def _code_envelopes(token: str):
    """The cycle and envelopes of the voter a token stands for (``g.code`` holds the token for the templates);
    raises ServiceError when the token no longer stands for a usable code."""
    cycle, voter = codes.voter_from_token(token)
    if cycle.ballot_frozen_at is None:
        end_reads()
        try:
            services.ensure_ballot_frozen(cycle)
        except ServiceError:
            db.session.rollback()
            raise
        db.session.commit()
    envelopes = services.voter_envelopes(cycle, voter)
    if not envelopes:
        raise ServiceError(_("There is no project to vote for in your district in this budget."))
    g.code = {"token": token}
    return cycle, envelopes


def _ballot(token: str, from_form: bool = False):
    try:
        cycle, envelopes = _code_envelopes(token)
    except ServiceError as error:
        return _start_again(error.message)
    kind = services.rules_for(cycle).kind
    form = ballot_form(envelopes, kind) if from_form else ballot_form(envelopes, kind, prefill={})
    return _render_ballot(cycle, envelopes, form, "")


def _posted_token() -> str:
    return (request.form.get(TOKEN_FIELD) or "")[:1000]


@bp.route("/code/ballot", methods=["POST"])
def ballot():
    """The ballot again, with the choices sent (from the review's "Change my choices")."""
    return _ballot(_posted_token(), from_form=True)


@bp.route("/code/review", methods=["POST"])
def review():
    try:
        cycle, envelopes = _code_envelopes(_posted_token())
    except ServiceError as error:
        return _start_again(error.message)
    return review_response(cycle, envelopes)


@bp.route("/code/confirm", methods=["POST"])
def confirm():
    token = _posted_token()
    try:
        cycle, envelopes = _code_envelopes(token)
    except ServiceError as error:
        return _start_again(error.message)
    kind = services.rules_for(cycle).kind
    choices = submitted_choices(request.form, envelopes, kind)
    end_reads()
    try:
        cycle, receipt = codes.cast_with_code(token, choices)
    except services.BallotInvalid as error:
        db.session.rollback()
        return _render_ballot(cycle, envelopes, ballot_form(envelopes, kind), "", 422, error.errors)
    except NotAllowed as error:
        db.session.rollback()
        return _start_again(error.message)
    except ServiceError as error:
        db.session.rollback()
        return _start_again(error.message)
    db.session.commit()
    # The receipt is shown in this response only; the voting code has been used and the token is now worthless.
    return _no_store_page("voting/receipt.html", cycle=cycle, code=receipt, via_code=True)


# --- The staff desk --------------------------------------------------------------------------------------------------


def _desk_context(cycle: Cycle) -> dict:
    from app.voting.paper import channel_label

    return {"cycle": cycle, "figures": desk.desk_figures(cycle), "channel_label": channel_label,
            "refresh_seconds": current_app.config["DESK_CACHE_SECONDS"]}


@bp.route("/vote/<slug>/desk")
@require(can, "desk.view")
def desk_page(slug: str):
    cycle = _cycle(slug)
    return render_template("voting/desk.html", **_desk_context(cycle))


@bp.route("/vote/<slug>/desk/figures")
@require(can, "desk.view")
def desk_figures(slug: str):
    """The figures alone (an HTML fragment), fetched by desk.js to update the page in place."""
    cycle = _cycle(slug)
    response = make_response(render_template("voting/_desk_figures.html", **_desk_context(cycle)))
    response.headers["Cache-Control"] = "private, no-cache"
    return response
