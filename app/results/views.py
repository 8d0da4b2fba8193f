"""Results pages: the public results of a cycle and of each envelope, the downloads, and the officials' count page.

Public addresses (``/budgets/<slug>/results``) show the run published for the cycle, once the results phase has
started; before that they answer 404 to everyone. Officials look at any run, published or not, under
``/results/runs/<id>``, with the same templates.
"""

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_login import current_user

from app.core.actions import run_and_flash
from app.core.errors import ServiceError
from app.core.permissions import require
from app.cycles.services import get_cycle_by_slug
from app.extensions import db, limiter
from app.proposals.forms import ActionForm
from app.results import services
from app.results.charts import bar_chart
from app.results.explain import money, sentences, votes_text
from app.results.exports import envelope_name, results_csv, results_json
from app.results.forms import RunForm
from app.results.permissions import can
from app.results.rules import channel_label, is_equal_shares, rule_label
from app.voting.services import rules_for

bp = Blueprint("results", __name__, template_folder="templates")

# Ballot files can be large (one line per voter): a limit per address keeps downloads from being a cheap flood.
_download_limit = limiter.shared_limit("60 per minute", scope="results-downloads")


@bp.app_context_processor
def results_helpers():
    return {"can_results": can, "public_results_run": services.public_run, "rule_label": rule_label,
            "channel_label": channel_label, "counting_rule_of": lambda cycle: rules_for(cycle).counting_rule}


def _cycle(slug: str):
    return get_cycle_by_slug(slug[:80]) or abort(404)


def _visible_run(run_id: int):
    run = services.get_run(run_id)
    if run is None or run.cycle.is_school or not can(current_user, "results.view", run):
        abort(404)
    return run


def _published(slug: str):
    run = services.public_run(_cycle(slug))
    return run or abort(404)


def _links(run, public: bool) -> dict:
    """Where the run's pages are: the cycle's public address for the published run, the run's own otherwise."""
    if public:
        return {"overview": url_for("results.cycle_results", slug=run.cycle.slug),
                "envelope": lambda key: url_for("results.cycle_envelope", slug=run.cycle.slug, key=key)}
    return {"overview": url_for("results.run_overview", run_id=run.id),
            "envelope": lambda key: url_for("results.run_envelope", run_id=run.id, key=key)}


def _overview(run, public: bool):
    return render_template("results/overview.html", run=run, cycle=run.cycle, links=_links(run, public),
                           envelopes=services.ordered_envelopes(run), turnout=services.turnout(run),
                           envelope_name=envelope_name, public=public,
                           pending=0 if public else services.pending_explanations(run), action_form=ActionForm())


def _envelope(run, key: str, public: bool):
    envelope = services.envelope_of(run, key) or abort(404)
    winners = [p for p in envelope.projects if p.selected]
    compared = [p for p in envelope.projects if p.comparison_selected]
    located = [p for p in winners if p.item.proposal.has_location]
    return render_template(
        "results/envelope.html", run=run, cycle=run.cycle, envelope=envelope, links=_links(run, public),
        name=envelope_name(envelope), winners=winners, compared=compared, located=located,
        chart=bar_chart(envelope.projects, lambda p: votes_text(p.votes, run.ballot_kind)),
        explain=lambda p: sentences(p.details, p.votes, run.ballot_kind), money=money,
        votes_text=lambda n: votes_text(n, run.ballot_kind), equal_shares=is_equal_shares(run.rule),
        public=public,
    )


# --- Public ----------------------------------------------------------------------------------------------------------


@bp.route("/budgets/<slug>/results")
def cycle_results(slug: str):
    return _overview(_published(slug), public=True)


@bp.route("/budgets/<slug>/results/<key>")
def cycle_envelope(slug: str, key: str):
    return _envelope(_published(slug), key, public=True)


@bp.route("/results/runs/<int:run_id>")
def run_overview(run_id: int):
    return _overview(_visible_run(run_id), public=False)


@bp.route("/results/runs/<int:run_id>/<key>")
def run_envelope(run_id: int, key: str):
    return _envelope(_visible_run(run_id), key, public=False)


def _download(run_id: int, key: str, body: str, extension: str, mimetype: str) -> Response:
    run = _visible_run(run_id)
    name = f"{run.cycle.slug}-{key}-{run.id}.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if run.published_at is None:
        headers["Cache-Control"] = "no-store"
    return Response(body, mimetype=mimetype, headers=headers)


def _envelope_for_download(run_id: int, key: str):
    run = _visible_run(run_id)
    return run, services.envelope_of(run, key) or abort(404)


@bp.route("/results/runs/<int:run_id>/<key>/ballots.pb")
@_download_limit
def ballot_file(run_id: int, key: str):
    _run, envelope = _envelope_for_download(run_id, key)
    return _download(run_id, key, envelope.ballot_file, "pb", "text/plain")


@bp.route("/results/runs/<int:run_id>/<key>/results.csv")
@_download_limit
def results_csv_file(run_id: int, key: str):
    run, envelope = _envelope_for_download(run_id, key)
    return _download(run_id, key, "\ufeff" + results_csv(run, envelope), "csv", "text/csv")


@bp.route("/results/runs/<int:run_id>/<key>/results.json")
@_download_limit
def results_json_file(run_id: int, key: str):
    run, envelope = _envelope_for_download(run_id, key)
    data = results_json(run, envelope, url_for("results.ballot_file", run_id=run.id, key=key, _external=True))
    return _download(run_id, key, json.dumps(data, ensure_ascii=False, indent=1), "json", "application/json")


# --- Officials: counting and publishing ------------------------------------------------------------------------------


@bp.route("/budgets/<slug>/tally", methods=["GET", "POST"])
@require(can, "tally.manage")
def tally_page(slug: str):
    cycle = _cycle(slug)
    rules = rules_for(cycle)
    form = RunForm(rules.kind)
    if request.method == "GET":
        form.rule.data = rules.counting_rule
    service_errors = []
    if form.validate_on_submit():
        try:
            run = services.run_tally(current_user, cycle, form.rule.data,
                                     explain_seconds=current_app.config["TALLY_EXPLAIN_SECONDS"])
        except ServiceError as error:
            db.session.rollback()
            service_errors.append(error.message)
        else:
            db.session.commit()
            flash(_("The votes have been counted. Check the results below before publishing them."), "success")
            return redirect(url_for("results.run_overview", run_id=run.id))
    status = 422 if form.errors or service_errors else 200
    return render_template("results/tally.html", cycle=cycle, form=form, rules=rules, runs=services.runs_of(cycle),
                           closed=services.voting_closed(cycle), published=services.published_run(cycle),
                           service_errors=service_errors, publish_form=ActionForm()), status


@bp.route("/results/runs/<int:run_id>/explain", methods=["POST"])
@require(can, "tally.run")
def explain(run_id: int):
    run = services.get_run(run_id)
    if run is None or run.cycle.is_school:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        done, left = services.explain_pending(current_user, run, current_app.config["TALLY_EXPLAIN_SECONDS"])
    except ServiceError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        db.session.commit()
        if left:
            flash(ngettext("%(num)d more explanation computed; %(left)s still to compute.",
                           "%(num)d more explanations computed; %(left)s still to compute.", done, left=left),
                  "success")
        else:
            flash(_("Every explanation of this count is computed."), "success")
    return redirect(url_for("results.run_overview", run_id=run.id))


@bp.route("/results/runs/<int:run_id>/publish", methods=["POST"])
@require(can, "tally.publish")
def publish(run_id: int):
    run = services.get_run(run_id) or abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    run_and_flash(lambda: services.publish(current_user, run), _("The results are published."))
    return redirect(url_for("results.tally_page", slug=run.cycle.slug))
