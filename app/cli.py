"""``flask pb ...`` (demo data, worker) and ``flask translate ...`` commands."""

import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

pb = AppGroup("pb", help="Budget Commun: demo data, background worker and maintenance.")
translate = AppGroup("translate", help="Extract, update and compile the translation catalogues.")

ROOT = Path(__file__).resolve().parent.parent


@pb.command("demo")
@with_appcontext
def demo_command():
    """Load the demo city (idempotent: run it as often as you like)."""
    from app.demo import issue_demo_codes, load_demo
    from app.extensions import db
    from app.schools.demo import issue_demo_card

    accounts = load_demo()
    click.echo("Demo data loaded. Accounts (email / password):")
    for role, email, password in accounts:
        click.echo(f"  {role:<10} {email:<32} {password}")
    cycle, codes = issue_demo_codes()
    db.session.commit()
    if codes:
        # Shown on this console only: the database keeps their keyed hashes, so they can never be shown again.
        click.echo(f"Voting codes for {cycle.slug} (Wazemmes), each works once; type one at /code:")
        for code in codes:
            click.echo(f"  {code}")
        click.echo("Earlier demo codes have been voided.")
    card = issue_demo_card()
    db.session.commit()
    if card:
        class_code, card_code, pseudonym = card
        click.echo(f"A pupil's card ({pseudonym}) of the demo class CM1 B, at /school/pupil/sign-in: class code "
                   f"{class_code}, card code {card_code} (printed again on each run).")


@pb.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between two rounds.")
@with_appcontext
def worker_command(once: bool, interval: float):
    """Deliver the outbox (emails, notifications) with retries; freeze ballots whose voting has opened and seal
    those whose voting has closed."""
    from app.core.mail import deliver_pending
    from app.extensions import db
    from app.review.services import freeze_due_ballots
    from app.voting.services import seal_due_ballots, vacuum_ballots

    while True:
        try:
            for cycle in freeze_due_ballots():
                click.echo(f"Ballot frozen for {cycle.slug}.")
            db.session.commit()
            sealed = seal_due_ballots()
            db.session.commit()
            if sealed:
                vacuum_ballots()
                click.echo("Ballots sealed for " + ", ".join(cycle.slug for cycle in sealed) + ".")
            count = deliver_pending()
        except Exception:  # keep the worker alive; the error is logged and the round retried
            db.session.rollback()
            current_app.logger.exception("Outbox delivery failed")
            count = 0
        if count:
            click.echo(f"Delivered {count} message(s).")
        db.session.remove()
        if once:
            break
        time.sleep(interval)


@pb.command("purge")
@click.option("--months", type=int, default=None,
              help="Callers' retention in months after a budget closes (default: CALLCENTER_RETENTION_MONTHS).")
@with_appcontext
def purge_command(months: int | None):
    """Erase personal data past their retention periods (every module's purger) and report what was erased."""
    from app.callcenter.services import purge_expired
    from app.core.purge import purge_all
    from app.extensions import db

    overrides = {} if months is None else {"callers": lambda now: purge_expired(now, months=months)}
    for purger, erased in purge_all(overrides=overrides):
        click.echo(f"{purger.label}: {erased}.")
    db.session.commit()


@pb.command("research-export")
@click.argument("cycle_slug")
@with_appcontext
def research_export_command(cycle_slug: str):
    """Print, as CSV, the participation in a cycle of residents who agreed to research: district, age bracket,
    channel and day; no name, no account, never a ballot."""
    import csv

    from app.cycles.services import get_cycle_by_slug
    from app.privacy.services import research_rows

    cycle = get_cycle_by_slug(cycle_slug)
    if cycle is None:
        raise click.ClickException(f"No cycle {cycle_slug!r}.")
    writer = csv.DictWriter(sys.stdout, fieldnames=["district", "age_bracket", "channel", "day"])
    writer.writeheader()
    writer.writerows(research_rows(cycle))


@pb.command("news-recipients")
@with_appcontext
def news_recipients_command():
    """Print the email addresses of residents who asked for news about future budgets (one a line), for the
    city's mailing tool."""
    from app.privacy.services import news_recipients

    for user in news_recipients():
        click.echo(user.email)


@pb.command("tally")
@click.argument("cycle_slug")
@click.option("--rule", default=None, help="A counting rule (default: the rule the cycle's ballot rules announce).")
@click.option("--publish", is_flag=True, help="Publish the count (only with the announced rule; once per cycle).")
@with_appcontext
def tally_command(cycle_slug: str, rule: str | None, publish: bool):
    """Count the votes of a cycle whose voting has closed, and print the winners of each envelope."""
    from app.core.errors import ServiceError
    from app.cycles.services import get_cycle_by_slug
    from app.extensions import db
    from app.results import services
    from app.results.exports import envelope_name

    cycle = get_cycle_by_slug(cycle_slug)
    if cycle is None:
        raise click.ClickException(f"No budget cycle with the address {cycle_slug!r}.")
    try:
        run = services.run_tally(None, cycle, rule)
        if publish:
            services.publish(None, run)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    db.session.commit()
    click.echo(f"Count no. {run.id} of {cycle.slug} with {run.rule}{' (published)' if publish else ''}:")
    for envelope in services.ordered_envelopes(run):
        winners = [p for p in envelope.projects if p.selected]
        click.echo(f"  {envelope_name(envelope)}: {len(winners)} funded, {envelope.spent_cents / 100:.2f} of "
                   f"{envelope.budget_cents / 100:.2f}; ballot file sha256 {envelope.ballot_file_sha256}")
        for project in winners:
            click.echo(f"    - #{project.item.proposal_id} {project.item.title} ({project.votes} votes)")


@pb.command("explain")
@click.argument("run_id", type=int)
@with_appcontext
def explain_command(run_id: int):
    """Compute every explanation a count left pending (the largest cost at which each project left out would
    have been funded), however long it takes."""
    from app.core.errors import ServiceError
    from app.extensions import db
    from app.results import services

    run = services.get_run(run_id)
    if run is None:
        raise click.ClickException(f"No count no. {run_id}.")
    try:
        done, _left = services.explain_pending(None, run)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    db.session.commit()
    click.echo(f"Count no. {run.id}: {done} explanations computed; none left.")


@pb.command("import-pabulib")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--slug", default=None, help="Address of the new cycle (default: from the file name).")
@click.option("--rule", default=None, help="Counting rule (default: what the file's META rule says the city used).")
@click.option("--max-costs/--no-max-costs", default=True, show_default=True,
              help="Explain, for each project equal shares left out, the largest cost at which it would have been "
                   "funded (re-counts the election a few dozen times per project: slow on large files).")
@with_appcontext
def import_pabulib_command(path: Path, slug: str | None, rule: str | None, max_costs: bool):
    """Load a real election from a pabulib file as a finished cycle, count it and publish its results."""
    from app.core.errors import ServiceError
    from app.extensions import db
    from app.results import services
    from app.results.importer import import_pabulib

    try:
        cycle = import_pabulib(path, slug=slug, rule=rule)
        run = services.run_tally(None, cycle, explain_costs=max_costs)
        services.publish(None, run)
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message))
    db.session.commit()
    winners = sum(1 for envelope in run.envelopes for project in envelope.projects if project.selected)
    click.echo(f"Imported {path.name} as /budgets/{cycle.slug}: {run.voters} voters, {winners} projects funded "
               f"with {run.rule}. Results: /budgets/{cycle.slug}/results")


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", *args], check=True, cwd=ROOT)  # noqa: S603 (fixed arguments)


@translate.command("extract")
def extract_command():
    """Collect the strings to translate into messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_ngettext:1,2", "--no-location", "--sort-output",
             "-o", "messages.pot", ".")


@translate.command("update")
def update_command():
    """Extract, then merge new strings into every catalogue."""
    extract_command.callback()
    _pybabel("update", "-i", "messages.pot", "-d", "translations", "--no-fuzzy-matching", "--ignore-obsolete")


@translate.command("compile")
def compile_command():
    """Compile the catalogues (.po to .mo)."""
    _pybabel("compile", "-d", "translations", "--use-fuzzy")
