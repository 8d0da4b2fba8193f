"""Polling stations: officials manage them; staff sign in at one, check each person against the census and open
that person's ballot, which is the web ballot (``app.voting.views``) carrying a signed ``paper`` token."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.core.transactions import end_reads
from app.cycles.models import Cycle
from app.cycles.services import get_cycle_by_slug
from app.extensions import db, limiter
from app.voting import paper
from app.voting.census_forms import PersonCheckForm, StationForm
from app.voting.models import PollingStation
from app.voting.permissions import can

bp = Blueprint("paper", __name__, url_prefix="/vote", template_folder="templates")

STATION_KEY = "paper_station"


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else get_remote_address()


# A staff account could be used to look people up by identifier: checks are limited per account.
_checks_limited = limiter.limit(lambda: current_app.config["PAPER_RATE_LIMIT"], key_func=_account_key,
                                methods=["POST"], scope="paper-checks")


def _cycle(slug: str) -> Cycle:
    return get_cycle_by_slug(slug) or abort(404)


def _station(cycle: Cycle, station_id: int) -> PollingStation:
    station = db.session.get(PollingStation, station_id)
    if station is None or station.cycle_id != cycle.id:
        abort(404)
    return station


# --- Officials -------------------------------------------------------------------------------------------------------


@bp.route("/<slug>/stations", methods=["GET", "POST"])
@require(can, "stations.manage")
def stations(slug: str):
    cycle = _cycle(slug)
    form = StationForm()
    if form.validate_on_submit():
        end_reads()
        try:
            paper.add_station(current_user, cycle, form.name.data, form.address.data)
        except ServiceError as error:
            db.session.rollback()
            target = form._fields.get(error.field, form.name)
            target.errors = [*target.errors, error.message]
        else:
            db.session.commit()
            flash(_("The polling station has been added."), "success")
            return redirect(url_for("paper.stations", slug=cycle.slug))
    return render_template("voting/stations.html", cycle=cycle, form=form, stations=paper.stations_of(cycle),
                           entries=paper.entries_by_station(cycle)), 422 if form.errors else 200


@bp.route("/<slug>/stations/<int:station_id>/<any(open, close):action>", methods=["POST"])
@require(can, "stations.manage")
def station_open(slug: str, station_id: int, action: str):
    cycle = _cycle(slug)
    station = _station(cycle, station_id)  # CSRFProtect has checked the form's token, as on every POST
    end_reads()
    paper.set_station_open(current_user, station, action == "open")
    db.session.commit()
    flash(_("The polling station is open.") if action == "open" else _("The polling station is closed."), "success")
    return redirect(url_for("paper.stations", slug=cycle.slug))


# --- Staff -----------------------------------------------------------------------------------------------------------


@bp.route("/<slug>/paper", methods=["GET"])
@require(can, "paper.enter")
def stations_for_staff(slug: str):
    cycle = _cycle(slug)
    return render_template("voting/paper_stations.html", cycle=cycle, stations=paper.stations_of(cycle, True),
                           current=session.get(STATION_KEY))


@bp.route("/<slug>/paper/<int:station_id>/sign-in", methods=["POST"])
@require(can, "paper.enter")
def sign_in(slug: str, station_id: int):
    cycle = _cycle(slug)
    station = _station(cycle, station_id)
    end_reads()
    try:
        paper.sign_in(current_user, station)
    except NotAllowed as error:
        db.session.rollback()
        return render_template("voting/paper_stations.html", cycle=cycle, stations=paper.stations_of(cycle, True),
                               current=session.get(STATION_KEY), problem=error.message), 403
    db.session.commit()
    session[STATION_KEY] = station.id
    return redirect(url_for("paper.console", slug=cycle.slug, station_id=station.id))


@bp.route("/<slug>/paper/sign-out", methods=["POST"])
@require(can, "paper.enter")
def sign_out(slug: str):
    session.pop(STATION_KEY, None)
    flash(_("You have left the polling station."), "success")
    return redirect(url_for("paper.stations_for_staff", slug=slug))


@bp.route("/<slug>/paper/<int:station_id>", methods=["GET", "POST"])
@require(can, "paper.enter")
@_checks_limited
def console(slug: str, station_id: int):
    """Check a person by the identifier on their letter; when they may vote, a button opens their ballot."""
    cycle = _cycle(slug)
    station = _station(cycle, station_id)
    if session.get(STATION_KEY) != station.id:
        return redirect(url_for("paper.stations_for_staff", slug=cycle.slug))
    form = PersonCheckForm()
    check, problem, status = None, None, 200
    if form.validate_on_submit():
        end_reads()
        try:
            check = paper.check_person(current_user, station, form.identifier.data)
        except NotAllowed as error:
            db.session.rollback()
            problem, status = error.message, 403
        except ServiceError as error:
            db.session.rollback()
            form.identifier.errors = [*form.identifier.errors, error.message]
        else:
            db.session.commit()
            form = PersonCheckForm(formdata=None)  # the identifier is not shown back
    if form.errors:
        status = 422
    return render_template("voting/paper_console.html", cycle=cycle, station=station, form=form, check=check,
                           problem=problem, channel_label=paper.channel_label), status
