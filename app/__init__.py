"""Budget Commun: participatory budgeting for cities and schools."""

import logging
import threading

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config, apply_data_licence, ensure_instance_defaults, load_environment


def create_app(config: type[Config] | None = None, **overrides) -> Flask:
    """Build the application. ``config`` is a class such as ``TestConfig``; ``overrides`` win over everything."""
    app = Flask(__name__, instance_relative_config=True)
    _load_config(app, config, overrides)
    _init_extensions(app)
    _register_blueprints(app)
    _register_template_helpers(app)
    _register_cli(app)
    return app


def _load_config(app: Flask, config, overrides: dict) -> None:
    app.config.from_object(Config)
    load_environment(app)
    if config is not None:
        app.config.from_object(config)
    app.config.update(overrides)
    ensure_instance_defaults(app)
    apply_data_licence(app)
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    app.logger.setLevel(logging.INFO)


# SQLite lets one writer at a time hold the database; the others wait in SQLite's busy handler, which polls with
# growing sleeps (up to 100 ms) rather than queueing. With many threads of one process waiting that way, a waiter can
# miss its turn again and again and run out of time under load. Writers of one process therefore queue on this lock
# first (first come, first served, no polling): at most one thread per process waits in SQLite itself, for a writer
# of another process. Held from BEGIN IMMEDIATE to the end of that transaction (see ``_sqlite_begin``).
_SQLITE_WRITERS = threading.Lock()
SQLITE_BUSY_TIMEOUT_MS = 20_000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """SQLite: enforce foreign keys and let SQLAlchemy, not the driver, decide where transactions begin.

    Several writers at once (voters casting ballots) must wait for each other, never fail with "database is
    locked": a writer waits up to 20 s for the lock (busy timeout; writers of one process also queue on
    ``_SQLITE_WRITERS``), and a file database uses the write-ahead log (WAL), where readers never block the writer
    nor the writer the readers. WAL is a property of the database file (it stays on once set); an in-memory database
    keeps its own journal, which is fine. A transaction that has read before it writes can still be refused at once
    (SQLITE_BUSY_SNAPSHOT, no waiting) when another writer committed in between: that is why casting a ballot begins
    its transaction with BEGIN IMMEDIATE (see ``_sqlite_begin`` and ``app.core.transactions.begin_write``).
    """
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """BEGIN (deferred), or what the connection's ``sqlite_begin`` execution option asks for ("BEGIN IMMEDIATE":
    take the write lock first, waiting for it, before reading anything; behind the other writers of this process)."""
    if conn.dialect.name != "sqlite":
        return
    statement = conn.get_execution_options().get("sqlite_begin", "BEGIN")
    if statement != "BEGIN IMMEDIATE":
        conn.exec_driver_sql(statement)
        return
    queued = _SQLITE_WRITERS.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)  # if not, SQLite's own wait decides
    try:
        conn.exec_driver_sql(statement)
    except BaseException:
        if queued:
            _SQLITE_WRITERS.release()
        raise
    conn.info["holds_sqlite_writers"] = queued


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(conn):
    """The write transaction ends: the next writer of this process may begin."""
    if conn.info.pop("holds_sqlite_writers", False):
        _SQLITE_WRITERS.release()


def _init_extensions(app: Flask) -> None:
    from app.core.i18n import install_template_gettext, install_wtforms_translations, select_locale
    from app.core.security import init_security
    from app.extensions import babel, cache, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    cache.init_app(app)
    limiter.init_app(app)  # before CSRF, so that a flood is refused before anything else is checked
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="../translations")
    install_template_gettext(app)
    install_wtforms_translations()
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    init_security(app)
    _import_models()


def _import_models() -> None:
    """Every model module, so that Alembic and ``create_all`` see every table."""
    import app.accounts.models  # noqa: F401
    import app.callcenter.models  # noqa: F401
    import app.core.models  # noqa: F401
    import app.cycles.models  # noqa: F401
    import app.deliberation.models  # noqa: F401
    import app.lessons.models  # noqa: F401
    import app.privacy.models  # noqa: F401
    import app.proposals.models  # noqa: F401
    import app.results.models  # noqa: F401
    import app.schools.models  # noqa: F401
    import app.tracking.models  # noqa: F401
    import app.voting.models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.api.data_views import bp as opendata_bp
    from app.api.views import bp as api_bp
    from app.callcenter.views import bp as callcenter_bp
    from app.core.errors import register_error_handlers
    from app.core.views import bp as core_bp
    from app.cycles.views import bp as cycles_bp
    from app.deliberation.moderation_views import bp as moderation_bp
    from app.deliberation.views import bp as deliberation_bp
    from app.lessons.views import bp as lessons_bp
    from app.privacy.views import bp as privacy_bp
    from app.proposals.views import bp as proposals_bp
    from app.results.views import bp as results_bp
    from app.review.views import bp as review_bp
    from app.schools.views import bp as schools_bp
    from app.tracking.views import bp as tracking_bp
    from app.voting.census_views import bp as census_bp
    from app.voting.codes_views import bp as codes_bp
    from app.voting.paper_views import bp as paper_bp
    from app.voting.views import bp as voting_bp

    for blueprint in (core_bp, accounts_bp, admin_bp, cycles_bp, proposals_bp, review_bp, tracking_bp,
                      moderation_bp, deliberation_bp, voting_bp, census_bp, paper_bp, codes_bp, callcenter_bp,
                      results_bp, api_bp, opendata_bp, privacy_bp, lessons_bp, schools_bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)


def _register_template_helpers(app: Flask) -> None:
    from flask_babel import format_date, format_datetime, get_locale

    from app.accounts.permissions import can as can_account
    from app.accounts.services import role_label
    from app.core.i18n import LANGUAGE_NAMES, euros, number
    from app.core.rendering import plain_excerpt, safe_html

    app.jinja_env.filters.update(euros=euros, number=number, datetime=format_datetime, date=format_date,
                                 excerpt=plain_excerpt, user_html=safe_html)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def globals_for_templates():
        return {
            "current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            "language_names": LANGUAGE_NAMES,
            "can_account": can_account,
            "role_label": role_label,
        }


def _register_cli(app: Flask) -> None:
    from app.cli import pb, translate

    app.cli.add_command(pb)
    app.cli.add_command(translate)
