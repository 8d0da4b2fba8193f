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


@pb.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between two rounds.")
@with_appcontext
def worker_command(once: bool, interval: float):
    """Deliver the outbox (emails, notifications) with retries, and freeze ballots whose voting has opened."""
    from app.core.mail import deliver_pending
    from app.extensions import db
    from app.review.services import freeze_due_ballots

    while True:
        try:
            for cycle in freeze_due_ballots():
                click.echo(f"Ballot frozen for {cycle.slug}.")
            db.session.commit()
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
