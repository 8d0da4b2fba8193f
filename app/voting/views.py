"""The voting pages: the ballot, its review, the receipt, changing a vote, checking a receipt, the ballot rules.

The ballot works without JavaScript: choose (checkboxes, points or grades), review (a second POST showing the whole
ballot, the choices kept in hidden fields), confirm (checked again by the server and cast). ``voting.js`` only adds a
live counter. While a vote is being changed, the receipt code travels in a hidden field of each form (never in an
address) and every step checks it again. Where the rules let a voter vote in one other district, the district they
pick travels as ``also`` (in the address of the ballot page, then in a hidden field).

Paper ballots use these same pages, form and checks: polling-station staff reach the ballot from their console
(``paper_views``) with a ``paper`` field, a signed token of the census entry they checked (never the identifier),
which travels like the receipt code; the vote is then cast for that person, channel paper, by the staff member.
"""

import functools
import hashlib
from functools import partial

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _, get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

from app.accounts.models import Role
from app.accounts.views import read_with_user, signed_in
from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.core.transactions import begin_write, commit, end_reads, write_from_here
from app.core.views import unread_notifications
from app.cycles.models import Cycle, District
from app.cycles.services import get_cycle_by_slug
from app.extensions import cache, db, limiter
from app.voting import census, paper, services
from app.voting.forms import DistrictForm, ReceiptForm, RulesForm, ballot_form, prefilled, submitted_choices
from app.voting.models import BallotKind
from app.voting.permissions import can

bp = Blueprint("voting", __name__, url_prefix="/vote", template_folder="templates")

# Receipt codes have 80 bits, so guessing is hopeless; a limit per address on every request carrying one (entering
# it, or changing a vote with it) keeps it that way and spares the database.
def _carries_no_code() -> bool:
    return not (request.form.get("receipt") or request.form.get("code"))


_shared_code_limit = limiter.shared_limit("20 per minute;200 per hour", scope="voting-receipt-codes",
                                          methods=["POST"], exempt_when=_carries_no_code)
_CODE_LIMITED: set[str] = set()  # the endpoints under that limit (see ``_ordinary_ballot``)


def _code_limited(view):
    _CODE_LIMITED.add(f"{bp.name}.{view.__name__}")
    return _shared_code_limit(view)


@limiter.request_filter
def _ordinary_ballot() -> bool:
    """Spare an ordinary ballot (no receipt code in it) the limiter's whole look-up, twice per request: on the pages
    under ``_code_limited`` that is the only limit, and it exempts such a request anyway. Keep it so: a limit added
    to one of them must go in this condition."""
    return request.endpoint in _CODE_LIMITED and (request.method != "POST" or _carries_no_code())


@bp.app_context_processor
def voting_helpers():
    return {"can_voting": can, "vote_grade_label": services.grade_label}


def _cycle(slug: str) -> Cycle:
    return get_cycle_by_slug(slug) or abort(404)


def _ballot_cycle(slug: str) -> Cycle:
    """The cycle of the ballot's own pages (ballot, review, confirmation), which every voter loads: this process's
    copy if it is at most ``CYCLE_CACHE_SECONDS`` old (``get_cycle_by_slug``: read-only, in no session); voting open
    or closed is still decided by the server's clock at each request, and the cast checks the voter and writes in its
    own transaction."""
    cycle = get_cycle_by_slug(slug, current_app.config["CYCLE_CACHE_SECONDS"]) or abort(404)
    if cycle.ballot_frozen_at is None:  # the first voter freezes the ballot (``_voter_envelopes``): a write
        cycle = get_cycle_by_slug(slug) or abort(404)
    return cycle


# Built once each (building a statement and its cache key costs more than running it).
_user_and_standing = functools.cache(lambda: services.with_standing(signed_in()))
_locked_user = functools.cache(lambda: services.locking(signed_in()))


@read_with_user("voting.ballot")
def _standing_with_user(user_id: int):
    """Every voter loads the ballot page, which reads their standing in the cycle: it comes with the user, in the
    loader's statement (one round trip fewer)."""
    cycle = get_cycle_by_slug(request.view_args.get("slug", ""), current_app.config["CYCLE_CACHE_SECONDS"])
    if cycle is None:
        return None
    return (_user_and_standing(), {"cycle_id": cycle.id, "account_key": services.account_key(user_id)},
            lambda row: services.remember_standing(row[0], cycle, row[2], row[3]))


@read_with_user("voting.confirm")
def _locking_user(_user_id: int):
    """Confirming casts a vote, whose first step locks the voter's account on PostgreSQL (see
    ``services.account_standing``): the loader's statement takes that lock (one round trip fewer). The standing is
    read after it, in a statement of its own."""
    if db.engine.dialect.name != "postgresql":
        return None
    return _locked_user(), {}, lambda row: services.remember_lock(row[0])


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


def _added_district() -> int | None:
    """The district a voter adds besides their own (``also``), as sent."""
    raw = (request.form if request.method == "POST" else request.args).get("also") or ""
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _voter_envelopes(cycle: Cycle, already_voted_status: int = 200):
    """The envelopes the signed-in voter votes in now; raises _Stop with the page to show when they cannot."""
    try:
        services.check_voter(current_user, cycle)
    except NotAllowed as error:
        raise _Stop(_unavailable(cycle, error.message, 200 if request.method == "GET" else 403))
    # Confirming reads it in the cast's own transaction, with the lock the cast takes (see ``confirm``): the cast
    # then reuses this read instead of repeating it.
    voter, participation = services.account_standing(current_user, cycle, lock=g.get("casting", False))
    if participation is not None:
        raise _Stop((render_template("voting/voted.html", cycle=cycle, participation=participation),
                     already_voted_status))
    try:
        services.check_eligible(voter, cycle)
    except census.CensusRequired:
        raise _Stop(redirect(url_for("census.verify", next=url_for("voting.ballot", slug=cycle.slug))))
    except census.BirthYearNeeded:
        raise _Stop(redirect(url_for("census.birth_year", slug=cycle.slug)))
    except NotAllowed as error:
        raise _Stop(_unavailable(cycle, error.message, 200 if request.method == "GET" else 403))
    if services.needs_district(cycle, voter):
        raise _Stop(redirect(url_for("voting.district", slug=cycle.slug)))
    if cycle.ballot_frozen_at is None:
        end_reads()
        try:
            services.ensure_ballot_frozen(cycle)
        except ServiceError as error:
            db.session.rollback()
            raise _Stop(_unavailable(cycle, error.message))
        db.session.commit()
        if g.get("casting"):
            begin_write()
    added = _added_district()
    g.voter = voter
    # Confirming needs the projects, not their details (read by _render_ballot if the ballot comes back with errors).
    envelopes = services.voter_envelopes(cycle, voter, also=[added] if added is not None else [],
                                         details=request.endpoint != "voting.confirm")
    if not envelopes:
        raise _Stop(_unavailable(cycle, _("There is no project to vote for in your district in this budget.")))
    return envelopes


def _paper_envelopes(cycle: Cycle, token: str):
    """At a polling station: the envelopes of the person the staff member checked (``g.paper`` holds the token and
    the station for the templates)."""
    try:
        station, voter = paper.voter_from_token(current_user, cycle, token)
    except NotAllowed as error:
        raise _Stop(_unavailable(cycle, error.message, 403))
    if session.get("paper_station") != station.id:
        raise _Stop(redirect(url_for("paper.stations_for_staff", slug=cycle.slug)))
    g.paper = {"token": token, "station": station}
    if services.participation_of(voter, cycle) is not None:
        raise _Stop(_unavailable(cycle, _("This person has already voted in this budget."), 409))
    envelopes = services.voter_envelopes(cycle, voter)
    if not envelopes:
        raise _Stop(_unavailable(cycle, _("There is no project to vote for in this person's district.")))
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
    if _posted_paper():
        return _paper_envelopes(cycle, _posted_paper())
    return _receipt_envelopes(cycle, receipt) if receipt else _voter_envelopes(cycle, already_voted_status)


def _posted_receipt() -> str:
    return (request.form.get("receipt") or "").strip()[:40] if request.method == "POST" else ""


def _posted_paper() -> str:
    return (request.form.get("paper") or "").strip()[:300] if request.method == "POST" else ""


def _fragment_key(cycle: Cycle, rules, envelope) -> str:
    """The cache key of one envelope of an untouched ballot form (``voting/_envelope.html``): everything that
    fragment shows. The projects are frozen with the ballot (the cycle's ``services._rules_key``); the rest is here
    as read in this request: the language, the rules, the envelope's name and budget, each project's theme and
    photo (which officials may still change), the addresses' slug."""
    about = tuple((item_id, details.category.id if details.category else None,
                   details.category.name if details.category else None, details.photo)
                  for item_id, details in sorted(envelope.details.items()))
    parts = (services._rules_key(cycle), str(get_locale()), cycle.slug,
             tuple(getattr(rules, column) for column in services.RULE_COLUMNS),
             envelope.key, str(envelope.label), envelope.budget_cents, envelope.added, about)
    return _cache_key(parts)


def _cache_key(parts: tuple) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def _render_ballot(cycle, envelopes, form, receipt: str, status: int = 200, errors: dict | None = None,
                   untouched: bool = False):
    """The ballot page. ``untouched``: an empty form without errors (``form`` may then be None), whose envelopes are
    the same for every voter of them and come from the cache once rendered (see ``_fragment_key``); for a resident
    the whole page does (see ``_resident_page``)."""
    services.load_details(envelopes)
    rules = services.rules_for(cycle)
    added = next((envelope for envelope in envelopes if envelope.added), None)
    voter = g.get("voter")
    offer_other = rules.other_district and not receipt and voter is not None
    other_districts = services.other_districts(cycle, voter) if offer_other else []
    untouched = untouched and not errors

    def render() -> str:
        return render_template(
            "voting/ballot.html", cycle=cycle, envelopes=envelopes,
            form=form or ballot_form(envelopes, rules.kind, prefill={}), receipt=receipt, rules=rules,
            rules_text=services.rules_text, errors=errors or {}, added=added, paper=g.get("paper"),
            code=g.get("code"), other_districts=other_districts,
            grades=services.grades() if rules.kind == BallotKind.MAJORITY_JUDGMENT else [],
            fragment_key=partial(_fragment_key, cycle, rules) if untouched else None)

    if untouched and not receipt:
        page = _resident_page(("ballot", tuple(_fragment_key(cycle, rules, envelope) for envelope in envelopes),
                               str(cycle.title), tuple(other_districts)), render)
    else:
        page = render()
    return _no_store(make_response(page, status))


# Where the request's own values go in a page from the cache (``_resident_page``).
_CSRF_HOLE, _CODE_HOLE = "\x00csrf\x00", "\x00code\x00"


def _resident_page(parts: tuple, render, holes: dict | None = None) -> str:
    """A page that is the same for every signed-in resident reading the same thing, rendered once and then taken
    from the cache (the untouched ballot, the receipt). ``parts`` hold everything it shows of its own (the
    ballot's envelopes, with the rules, projects, themes and photos: ``_fragment_key``); the key adds the language,
    the header's count of unread notifications and the address (the language switcher returns to it). The CSRF
    token, and each of ``holes`` (a hole's value, escaped), are put in at each request.

    Rendered for this request alone, never cached: paper ballots, voting codes, staff members (their links, a
    moderator's reminder), flashed messages."""
    if (g.get("paper") or g.get("code") or getattr(current_user, "role", None) != Role.RESIDENT
            or session.get("_flashes")):
        page = render()
    else:
        key = _cache_key((parts, str(get_locale()), unread_notifications(), request.full_path, request.script_root))
        page = cache.get(key)
        if page is None:
            page = render().replace(generate_csrf(), _CSRF_HOLE)
            cache.set(key, page, timeout=600)
        page = page.replace(_CSRF_HOLE, generate_csrf())
    for hole, value in (holes or {}).items():
        page = page.replace(hole, escape(value))
    return page


def _refused_districts(cycle, envelopes) -> tuple[list, dict]:
    """The envelopes to show and the errors of a district added against the rules (or one with no vote)."""
    errors = services.added_district_errors(services.rules_for(cycle), envelopes)
    if _added_district() is not None and not any(envelope.added for envelope in envelopes):
        errors[_added_district()] = [_("There is no vote in this district in this budget.")]
    return [envelope for envelope in envelopes if envelope.key not in errors], errors


# --- The ballot ------------------------------------------------------------------------------------------------------


@bp.route("/<slug>", methods=["GET", "POST"])
@require(can, "vote")
@_code_limited
def ballot(slug: str):
    """GET: an empty ballot. POST (from the review's "Change my choices"): the ballot with the choices sent."""
    cycle = _ballot_cycle(slug)
    receipt = _posted_receipt()
    try:
        envelopes = _envelopes(cycle, receipt)
    except _Stop as stop:
        return stop.response
    envelopes, errors = _refused_districts(cycle, envelopes)
    kind = services.rules_for(cycle).kind
    if request.method == "POST":
        return _render_ballot(cycle, envelopes, ballot_form(envelopes, kind), receipt, 422 if errors else 200, errors)
    return _render_ballot(cycle, envelopes, None, receipt, 422 if errors else 200, errors, untouched=True)


@bp.route("/<slug>/review", methods=["POST"])
@require(can, "vote")
@_code_limited
def review(slug: str):
    cycle = _ballot_cycle(slug)
    receipt = _posted_receipt()
    try:
        envelopes = _envelopes(cycle, receipt)
    except _Stop as stop:
        return stop.response
    return review_response(cycle, envelopes, receipt)


def review_response(cycle: Cycle, envelopes, receipt: str = ""):
    """The review step of any ballot (web, paper, voting code): the whole ballot, or the form with the rules
    broken (422)."""
    rules = services.rules_for(cycle)
    form = ballot_form(envelopes, rules.kind)
    choices = submitted_choices(request.form, envelopes, rules.kind)
    errors = services.validate_ballot(rules, envelopes, choices)
    if errors:
        return _render_ballot(cycle, envelopes, form, receipt, 422, errors)
    chosen = {envelope.key: services.chosen_entries(rules, envelope, choices[envelope.key])
              for envelope in envelopes}
    return _no_store(make_response(render_template(
        "voting/review.html", cycle=cycle, envelopes=envelopes, chosen=chosen, form=form, receipt=receipt,
        rules=rules, added=next((envelope for envelope in envelopes if envelope.added), None),
        paper=g.get("paper"), code=g.get("code"))))


@bp.route("/<slug>/confirm", methods=["POST"])
@require(can, "vote")
@_code_limited
def confirm(slug: str):
    cycle = _ballot_cycle(slug)
    receipt = _posted_receipt()
    # One write transaction from here to the receipt (see app.core.transactions): the checks below read what the
    # cast would read again, and the cast reuses it.
    write_from_here()
    g.casting = True
    try:
        envelopes = _envelopes(cycle, receipt, already_voted_status=409)
    except _Stop as stop:
        return stop.response
    kind = services.rules_for(cycle).kind
    choices = submitted_choices(request.form, envelopes, kind)
    try:
        if g.get("paper"):
            code = paper.cast_paper(current_user, cycle, g.paper["token"], choices)
        elif receipt:
            services.change_ballot(current_user, cycle, receipt, choices)
        else:
            code = services.cast(current_user, cycle, choices)
    except services.BallotInvalid as error:
        db.session.rollback()
        return _render_ballot(cycle, envelopes, ballot_form(envelopes, kind), receipt, 422, error.errors)
    except NotAllowed as error:
        db.session.rollback()
        return _unavailable(cycle, error.message, 403)
    except ServiceError as error:
        db.session.rollback()
        return _unavailable(cycle, error.message, 409)
    if not receipt:  # the receipt page's header count, read in this transaction (not in one more)
        unread_notifications()
    commit(keep_loaded=True)  # the receipt page shows the cycle and the voter just used
    if g.get("paper"):
        return _no_store(make_response(render_template("voting/paper_receipt.html", cycle=cycle, code=code,
                                                       station=g.paper["station"])))
    if receipt:
        flash(_("Your vote has been changed. Your receipt code stays the same."), "success")
        return redirect(url_for("voting.ballot", slug=cycle.slug))
    # The code is shown in this response only: it is not kept in the session, the database, any log or the cache
    # (the page is cached with a hole where it goes).
    page = _resident_page(("receipt", cycle.slug, str(cycle.title)),
                          partial(render_template, "voting/receipt.html", cycle=cycle, code=_CODE_HOLE),
                          {_CODE_HOLE: code})
    return _no_store(make_response(page))


@bp.route("/<slug>/district", methods=["GET", "POST"])
@require(can, "vote")
def district(slug: str):
    cycle = _cycle(slug)
    if not services.needs_district(cycle, services.voter_for_account(current_user)):
        return redirect(url_for("voting.ballot", slug=cycle.slug))
    form = DistrictForm()
    form.district.fill(db.session, District, order_by=District.name)
    if form.validate_on_submit():
        end_reads()
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
            kind = services.rules_for(cycle).kind
            recorded = {ballot.district_id: {choice.ballot_item_id: choice.value for choice in ballot.choices}
                        for ballot in ballots}
            form = ballot_form(envelopes, kind, prefill=prefilled(envelopes, kind, recorded))
            return _render_ballot(cycle, envelopes, form, receipt)
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
        results_start=services.results_start(cycle), kind=services.rules_for(cycle).kind.value,
    ), 422 if form.errors else 200))


# --- Ballot rules (officials) ----------------------------------------------------------------------------------------


@bp.route("/<slug>/rules", methods=["GET", "POST"])
@require(can, "rules.manage")
def rules(slug: str):
    cycle = _cycle(slug)
    current = services.rules_for(cycle)
    frozen = services.rules_frozen_reason(cycle, current)
    form = RulesForm(obj=current)
    service_errors = []
    if frozen is None and form.validate_on_submit():
        end_reads()
        try:
            services.save_rules(current_user, cycle, form.kind.data, form.min_choices.data, form.max_choices.data,
                                form.min_share_percent.data, points_total=form.points_total.data,
                                points_per_project=form.points_per_project.data,
                                other_district=form.other_district.data, counting_rule=form.counting_rule.data)
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
    elif frozen is not None and request.method == "POST":
        service_errors.append(str(frozen))
    status = 422 if form.errors or service_errors else 200
    return render_template("voting/rules.html", cycle=cycle, form=form, rules=current, saved=current.id is not None,
                           frozen=frozen, service_errors=service_errors, kind_label=services.kind_label,
                           kind_explanation=services.kind_explanation, kinds=services.BUILT_KINDS,
                           grades=services.grades(), voting_closed=services.voting_closed(cycle)), status


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
