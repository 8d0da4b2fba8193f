"""The downloads of a run: the ballot file it counted (pabulib), and its results as CSV and JSON."""

from flask_babel import gettext

from app.core.clock import as_utc
from app.core.csvfile import csv_text, euros_plain
from app.results.explain import sentences
from app.results.models import TallyEnvelope, TallyRun


def envelope_name(envelope: TallyEnvelope) -> str:
    return envelope.district.name if envelope.district else gettext("Whole city")


def results_header() -> list[str]:
    return [gettext("Envelope"), gettext("Position"), gettext("Project number"), gettext("Project"),
            gettext("Cost (€)"), gettext("Votes"), gettext("Selected"), gettext("Selected under the compared rule"),
            gettext("Explanation")]


def results_rows(run: TallyRun, envelope: TallyEnvelope):
    """One line per project of the envelope (winners first)."""
    for project in envelope.projects:
        compared = "" if project.comparison_selected is None else (
            gettext("yes") if project.comparison_selected else gettext("no"))
        yield (envelope_name(envelope), project.position, project.item.proposal_id, project.item.title,
               euros_plain(project.cost_cents), project.votes, gettext("yes") if project.selected else gettext("no"),
               compared, " ".join(sentences(project.details, project.votes, run.ballot_kind)))


def results_csv(run: TallyRun, envelope: TallyEnvelope, comments=()) -> str:
    """One line per project (winners first), spreadsheet-safe: no cell starts a formula."""
    return csv_text(results_header(), results_rows(run, envelope), comments)


def results_json(run: TallyRun, envelope: TallyEnvelope, ballot_file_url: str) -> dict:
    return {
        "cycle": run.cycle.slug,
        "envelope": envelope.key,
        "envelope_name": envelope_name(envelope),
        "rule": run.rule,
        "tie_breaking": run.tie_breaking,
        "comparison_rule": run.comparison_rule or None,
        "published_at": as_utc(run.published_at).isoformat() if run.published_at else None,
        "budget_cents": envelope.budget_cents,
        "spent_cents": envelope.spent_cents,
        "comparison_spent_cents": envelope.comparison_spent_cents,
        "ballots": envelope.ballots,
        "blank_ballots": envelope.blank_ballots,
        "ballot_file": ballot_file_url,
        "ballot_file_sha256": envelope.ballot_file_sha256,
        "winners": sorted(str(p.item.proposal_id) for p in envelope.projects if p.selected),
        "projects": [
            {"project_id": str(p.item.proposal_id), "title": p.item.title, "cost_cents": p.cost_cents,
             "votes": p.votes, "selected": p.selected, "comparison_selected": p.comparison_selected,
             "explanation": sentences(p.details, p.votes, run.ballot_kind), "details": p.details}
            for p in envelope.projects
        ],
    }
