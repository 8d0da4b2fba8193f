"""The voting pages: the ballot, its review, the receipt, changing a vote, checking a receipt, the ballot rules.

The ballot works without JavaScript: choose (checkboxes), review (a second POST showing the whole ballot, the
choices kept in hidden fields), confirm (checked again by the server and cast). ``voting.js`` only adds a live
counter. While a vote is being changed, the receipt code travels in a hidden field of each form (never in an
address) and every step checks it again.
"""

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user

from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.cycles.models import Cycle, District
from app.cycles.services import get_cycle_by_slug
from app.extensions import db, limiter
from app.voting import services
from app.voting.forms import DistrictForm, ReceiptForm, RulesForm, ballot_form
from app.voting.permissions import can

bp = Blueprint("voting", __name__, url_prefix="/vote", template_folder="templates")

# Receipt codes have 80 bits, so guessing is hopeless; a limit per address on every request carrying one (entering
# it, or changing a vote with it) keeps it that way and spares the database.
_code_limited = limiter.shared_limit(
    "20 per minute;200 per hour", scope="voting-receipt-codes", methods=["POST"],
    exempt_when=lambda: not (request.form.get("receipt") or request.form.get("code")),
)


@bp.app_context_processor
def voting_helpers():
    return {"can_voting": can}


def _cycle(slug: str) -> Cycle:
    return get_cycle_by_slug(slug) or abort(404)


def _commit(keep_loaded: bool = False) -> None:
    """Commit. ``keep_loaded`` keeps the objects loaded so far (the voter, the cycle with its phases and envelopes)
    instead of loading them again afterwards: confirming a ballot read them a moment ago in this same request, and
    what must be current is read again by ``cast`` (the register, the rules) or guarded by a constraint."""
    session = db.session()
    session.expire_on_commit = not keep_loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _end_reads(keep_loaded: bool = False) -> None:
    """Writing services start their own transaction (BEGIN IMMEDIATE on SQLite: see ``services.begin_write``):
    end the one this request opened to read. Nothing is pending at this point."""
    _commit(keep_loaded)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _unavailable(cycle: Cycle, message, status: int = 200):
    return render_template("voting/unavailable.html", cycle=cycle, message=message), status


class _Stop(Exception):
    """A page to show instead of the ballot (closed, already voted, district missing, bad receipt...)."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _voter_envelopes(cycle: Cycle, already_voted_status: int = 200):
    """The envelopes the signed-in voter votes in now; raises _Stop with the page to show when they cannot."""
    try:
        services.check_voter(current_user, cycle)
    except NotAllowed as error:
        raise _Stop(_unavailable(cycle, error.message, 200 if request.method == "GET" else 403))
    participation = services.participation_of(current_user, cycle)
    if participation is not None:
        raise _Stop((render_template("voting/voted.html", cycle=cycle, participation=participation),
                     already_voted_status))
    if services.needs_district(cycle, current_user):
        raise _Stop(redirect(url_for("voting.district", slug=cycle.slug)))
    if cycle.ballot_frozen_at is None:
        _end_reads()
        try:
            services.ensure_ballot_frozen(cycle)
        except ServiceError as error:
            db.session.rollback()
            raise _Stop(_unavailable(cycle, error.message))
        db.session.commit()
    # Confirming needs the projects, not their details (loaded one by one only if the ballot comes back with errors).
    envelopes = services.voter_envelopes(cycle, current_user, details=request.endpoint != "voting.confirm")
    if not envelopes:
        raise _Stop(_unavailable(cycle, _("There is no project to vote for in your district in this budget.")))
    return envelopes


def _receipt_envelopes(cycle: Cycle, receipt: str):
    """While changing a vote: the envelopes of the ballots the receipt code belongs to."""
    try:
        _ballots, envelopes = services.ballots_for_change(current_user, cycle, receipt)
    except NotAllowed as error:
        raise _Stop(_unavailable(cycle, error.message, 403))
    except ServiceError as error:
        form = ReceiptForm(formdata=None)
        form.code.errors = [error.message]
        raise _Stop(_no_store(make_response(render_template("voting/change.html", cycle=cycle, form=form), 422)))
    return envelopes


def _envelopes(cycle: Cycle, receipt: str, already_voted_status: int = 200):
    return _receipt_envelopes(cycle, receipt) if receipt else _voter_envelopes(cycle, already_voted_status)


def _posted_receipt() -> str:
    return (request.form.get("receipt") or "").strip()[:40] if request.method == "POST" else ""


def _choices(form, envelopes) -> dict:
    """Envelope key -> chosen ballot item ids (as sent), read from the ballot form."""
    return {envelope.key: list(form[envelope.field_name].data or [])[:200] for envelope in envelopes}


def _render_ballot(cycle, envelopes, form, receipt: str, status: int = 200):
    return _no_store(make_response(render_template(
        "voting/ballot.html", cycle=cycle, envelopes=envelopes, form=form, receipt=receipt,
        rules=services.rules_for(cycle), rules_text=services.rules_text,
    ), status))


def _show_errors(form, envelopes, errors: dict) -> None:
    for envelope in envelopes:
        if errors.get(envelope.key):
            form[envelope.field_name].errors = [str(message) for message in errors[envelope.key]]


# --- The ballot ------------------------------------------------------------------------------------------------------


@bp.route("/<slug>", methods=["GET", "POST"])
@require(can, "vote")
@_code_limited
def ballot(slug: str):
    """GET: an empty ballot. POST (from the review's "Change my choices"): the ballot with the choices sent."""
    cycle = _cycle(slug)
    receipt = _posted_receipt()
    try:
        envelopes = _envelopes(cycle, receipt)
    except _Stop as stop:
        return stop.response
    form = ballot_form(envelopes) if request.method == "POST" else ballot_form(envelopes, prefill={})
    return _render_ballot(cycle, envelopes, form, receipt)


@bp.route("/<slug>/review", methods=["POST"])
@require(can, "vote")
@_code_limited
def review(slug: str):
    cycle = _cycle(slug)
    receipt = _posted_receipt()
    try:
        envelopes = _envelopes(cycle, receipt)
    except _Stop as stop:
        return stop.response
    form = ballot_form(envelopes)
    choices = _choices(form, envelopes)
    rules = services.rules_for(cycle)
    errors = {envelope.key: services.validate_choices(rules, envelope, choices[envelope.key])
              for envelope in envelopes}
    if any(errors.values()):
        _show_errors(form, envelopes, errors)
        return _render_ballot(cycle, envelopes, form, receipt, 422)
    chosen = {envelope.key: [item for item in envelope.items if str(item.id) in set(choices[envelope.key])]
              for envelope in envelopes}
    return _no_store(make_response(render_template(
        "voting/review.html", cycle=cycle, envelopes=envelopes, chosen=chosen, form=form, receipt=receipt)))


@bp.route("/<slug>/confirm", methods=["POST"])
@require(can, "vote")
@_code_limited
def confirm(slug: str):
    cycle = _cycle(slug)
    receipt = _posted_receipt()
    try:
        envelopes = _envelopes(cycle, receipt, already_voted_status=409)
    except _Stop as stop:
        return stop.response
    form = ballot_form(envelopes)
    choices = _choices(form, envelopes)
    _end_reads(keep_loaded=True)
    try:
        if receipt:
            services.change_ballot(current_user, cycle, receipt, choices)
        else:
            code = services.cast(current_user, cycle, choices)
    except services.BallotInvalid as error:
        db.session.rollback()
        _show_errors(form, envelopes, error.errors)
        return _render_ballot(cycle, envelopes, form, receipt, 422)
    except NotAllowed as error:
        db.session.rollback()
        return _unavailable(cycle, error.message, 403)
    except ServiceError as error:
        db.session.rollback()
        return _unavailable(cycle, error.message, 409)
    _commit(keep_loaded=True)  # the receipt page shows the cycle and the voter just used
    if receipt:
        flash(_("Your vote has been changed. Your receipt code stays the same."), "success")
        return redirect(url_for("voting.ballot", slug=cycle.slug))
    # The code is shown in this response only: it is not kept in the session, the database or any log.
    return _no_store(make_response(render_template("voting/receipt.html", cycle=cycle, code=code)))


@bp.route("/<slug>/district", methods=["GET", "POST"])
@require(can, "vote")
def district(slug: str):
    cycle = _cycle(slug)
    if not services.needs_district(cycle, current_user):
        return redirect(url_for("voting.ballot", slug=cycle.slug))
    form = DistrictForm()
    form.district.fill(db.session, District, order_by=District.name)
    if form.validate_on_submit():
        _end_reads()
        try:
            services.choose_district(current_user, db.session.get(District, form.district.data or 0))
        except ServiceError as error:
            db.session.rollback()
            form.district.errors = [*form.district.errors, error.message]
        else:
            db.session.commit()
            flash(_("Your district has been saved to your profile."), "success")
            return redirect(url_for("voting.ballot", slug=cycle.slug))
    return render_template("voting/district.html", cycle=cycle, form=form), 422 if form.errors else 200


# --- Receipts --------------------------------------------------------------------------------------------------------


@bp.route("/<slug>/change", methods=["GET", "POST"])
@require(can, "vote")
@_code_limited
def change(slug: str):
    """Enter the receipt code, then the ballot opens with the recorded choices, to change them."""
    cycle = _cycle(slug)
    form = ReceiptForm()
    if form.validate_on_submit():
        try:
            ballots, envelopes = services.ballots_for_change(current_user, cycle, form.code.data)
        except NotAllowed as error:
            return _unavailable(cycle, error.message, 403)
        except ServiceError as error:
            form.code.errors = [*form.code.errors, error.message]
        else:
            receipt = services.normalise_receipt(form.code.data)
            prefill = {envelope.field_name: [str(choice.ballot_item_id) for ballot in ballots
                                             if ballot.district_id == envelope.key for choice in ballot.choices]
                       for envelope in envelopes}
            return _render_ballot(cycle, envelopes, ballot_form(envelopes, prefill=prefill), receipt)
    return _no_store(make_response(render_template("voting/change.html", cycle=cycle, form=form),
                                   422 if form.errors else 200))


@bp.route("/<slug>/receipt", methods=["GET", "POST"])
@require(can, "receipt.check")
@_code_limited
def check(slug: str):
    """Anyone may check a receipt once the results are published: the recorded choices of that ballot."""
    cycle = _cycle(slug)
    published = services.results_published(cycle)
    form = ReceiptForm()
    found = None
    if published and form.validate_on_submit():
        try:
            found = services.check_receipt(cycle, form.code.data)
        except ServiceError as error:
            form.code.errors = [*form.code.errors, error.message]
    return _no_store(make_response(render_template(
        "voting/check.html", cycle=cycle, form=form, published=published, found=found,
        results_start=services.results_start(cycle),
    ), 422 if form.errors else 200))


# --- Ballot rules (officials) ----------------------------------------------------------------------------------------


@bp.route("/<slug>/rules", methods=["GET", "POST"])
@require(can, "rules.manage")
def rules(slug: str):
    cycle = _cycle(slug)
    current = services.rules_for(cycle)
    frozen = current.frozen_at is not None or services.ballots_cast(cycle)
    form = RulesForm(obj=current)
    service_errors = []
    if not frozen and form.validate_on_submit():
        _end_reads()
        try:
            services.save_rules(current_user, cycle, form.kind.data, form.min_choices.data, form.max_choices.data,
                                form.min_share_percent.data)
        except ServiceError as error:
            db.session.rollback()
            if error.field and error.field in form:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                service_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The ballot rules have been saved."), "success")
            return redirect(url_for("voting.rules", slug=cycle.slug))
    elif frozen and request.method == "POST":
        service_errors.append(_("Ballots have already been cast in this budget: its ballot rules can no longer "
                                "change."))
    status = 422 if form.errors or service_errors else 200
    return render_template("voting/rules.html", cycle=cycle, form=form, rules=current, saved=current.id is not None,
                           frozen=frozen, service_errors=service_errors, kind_label=services.kind_label,
                           voting_closed=services.voting_closed(cycle)), status


@bp.route("/<slug>/ballots.csv")
@require(can, "ballots.export")
def export_ballots(slug: str):
    """The anonymised ballots for officials, once voting has closed (a shuffled CSV; the export is audited)."""
    cycle = _cycle(slug)
    try:
        text = services.export_ballots_csv(current_user, cycle)
    except NotAllowed as error:
        return _unavailable(cycle, error.message, 403)
    db.session.commit()
    name = f"ballots-{cycle.slug}.csv"
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
