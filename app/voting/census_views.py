"""The census pages: officials upload the list of residents and say who may vote in a cycle; residents verify
their entry once, and declare their year of birth where a cycle has a minimum age and the census gives none."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.core.errors import ServiceError
from app.core.permissions import require
from app.core.security import safe_next
from app.core.transactions import end_reads
from app.cycles.models import Cycle
from app.cycles.services import get_cycle_by_slug
from app.extensions import db, limiter
from app.voting import census, services
from app.voting.census_forms import BirthYearForm, CensusUploadForm, EligibilityForm, VerifyForm
from app.voting.permissions import can

bp = Blueprint("census", __name__, template_folder="templates")


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else get_remote_address()


# Identifiers are guessable by trying many: a few attempts per account, and per address (where many accounts could
# be made), are enough for a resident who mistypes.
_per_account = limiter.limit(lambda: current_app.config["CENSUS_RATE_LIMIT"], key_func=_account_key,
                             methods=["POST"], scope="census-verify-account")
_per_address = limiter.limit(lambda: current_app.config["CENSUS_ADDRESS_RATE_LIMIT"], methods=["POST"],
                             scope="census-verify-address")


def _cycle(slug: str) -> Cycle:
    return get_cycle_by_slug(slug) or abort(404)


@bp.route("/census", methods=["GET", "POST"])
@require(can, "census.manage")
def upload():
    form = CensusUploadForm()
    problem = None
    if form.validate_on_submit():
        data = form.file.data.read()
        end_reads()
        try:
            result = census.import_census(current_user, data, form.file.data.filename or "")
        except ServiceError as error:
            db.session.rollback()
            problem = error
        else:
            db.session.commit()
            flash(_("The list of residents has been imported: %(rows)d residents, %(added)d new, %(updated)d "
                    "changed, %(reactivated)d back on the list, %(deactivated)d no longer listed.",
                    rows=result.rows, added=result.added, updated=result.updated, reactivated=result.reactivated,
                    deactivated=result.deactivated), "success")
            return redirect(url_for("census.upload"))
    status = 422 if form.errors or problem else 200
    return render_template("voting/census_upload.html", form=form, problem=problem,
                           counts=census.census_counts()), status


@bp.route("/census/verify", methods=["GET", "POST"])
@require(can, "census.verify")
@_per_account
@_per_address
def verify():
    entry = census.entry_of_account(current_user)
    form = VerifyForm()
    next_url = safe_next(url_for("core.home"))
    if entry is None and form.validate_on_submit():
        end_reads()
        try:
            census.bind_census(current_user, form.identifier.data)
        except ServiceError as error:
            db.session.rollback()
            form.identifier.errors = [*form.identifier.errors, error.message]
        else:
            db.session.commit()
            flash(_("Thank you: your residence is verified."), "success")
            return redirect(next_url)
    return render_template("voting/census_verify.html", form=form, entry=entry,
                           next_url=next_url), 422 if form.errors else 200


@bp.route("/vote/<slug>/birth-year", methods=["GET", "POST"])
@require(can, "census.verify")
def birth_year(slug: str):
    cycle = _cycle(slug)
    ballot_url = url_for("voting.ballot", slug=cycle.slug)
    if census.birth_year_of(services.voter_for_account(current_user)) is not None:
        return redirect(ballot_url)
    _census_required, minimum_age = census.eligibility_of(cycle)
    form = BirthYearForm()
    if form.validate_on_submit():
        end_reads()
        try:
            census.declare_birth_year(current_user, form.birth_year.data)
        except ServiceError as error:
            db.session.rollback()
            form.birth_year.errors = [*form.birth_year.errors, error.message]
        else:
            db.session.commit()
            return redirect(ballot_url)
    return render_template("voting/birth_year.html", cycle=cycle, form=form,
                           minimum_age=minimum_age), 422 if form.errors else 200


@bp.route("/vote/<slug>/eligibility", methods=["GET", "POST"])
@require(can, "rules.manage")
def eligibility(slug: str):
    cycle = _cycle(slug)
    rules = services.rules_for(cycle)
    frozen = rules.frozen_at is not None or services.ballots_cast(cycle)
    form = EligibilityForm(obj=rules)
    service_errors = []
    if request.method == "POST" and frozen:
        service_errors.append(_("Ballots have already been cast in this budget: who may vote can no longer change."))
    elif form.validate_on_submit():
        end_reads()
        try:
            census.save_eligibility(current_user, cycle, form.census_required.data, form.minimum_age.data)
        except ServiceError as error:
            db.session.rollback()
            if error.field in form:
                form[error.field].errors = [*form[error.field].errors, error.message]
            else:
                service_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Who may vote has been saved."), "success")
            return redirect(url_for("census.eligibility", slug=cycle.slug))
    status = 422 if form.errors or service_errors else 200
    return render_template("voting/eligibility.html", cycle=cycle, form=form, rules=rules, frozen=frozen,
                           service_errors=service_errors, counts=census.census_counts()), status
