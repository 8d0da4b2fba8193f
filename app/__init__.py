"""Budget Commun: participatory budgeting for cities and schools."""

import fcntl
import logging
import os
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
# growing sleeps (up to 100 ms) rather than queueing. With many threads waiting that way, a waiter can miss its turn
# again and again: under load, a few voters waited seconds while others went through at once. Writers therefore
# queue before asking SQLite, in two steps held from BEGIN IMMEDIATE to the end of that transaction (see
# ``_sqlite_begin``):
# - in this process, on ``_SQLITE_WRITERS`` (no polling), so that one thread per process at most goes on;
# - between processes (gunicorn's workers), on an exclusive ``flock`` of a file beside the database
#   (``<database>-writers.lock``): the kernel wakes the waiting process as soon as the holder lets go, where SQLite
#   would have had it sleep up to 100 ms while the holder's process took the lock again. A process that dies lets go
#   of its lock (the kernel closes its files); our write transactions are short, and gunicorn ends a worker stuck
#   longer than its timeout. Other programs writing the file (``flask`` commands, sqlite3) do not queue here:
#   SQLite's own busy timeout still settles between them and the app.
_SQLITE_WRITERS = threading.Lock()
_WRITERS_FILES: dict[str, tuple[int, int]] = {}  # database path -> (process id, file descriptor of its lock file)
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
    locked = None
    try:
        if queued:
            locked = _lock_writers_file(conn.engine.url.database)
        conn.exec_driver_sql(statement)
    except BaseException:
        _release_writers(locked, queued)
        raise
    conn.info["holds_sqlite_writers"] = (locked, queued)


def _lock_writers_file(database: str | None) -> int | None:
    """Take this database's writers' lock file (see ``_SQLITE_WRITERS``), waiting for the writer of another
    process; None for a database in memory (one process only). The file is opened once per process: a descriptor
    inherited through ``fork`` would share its lock with the parent."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    held = _WRITERS_FILES.get(database)
    if held is None or held[0] != os.getpid():
        held = _WRITERS_FILES[database] = (os.getpid(), os.open(f"{database}-writers.lock",
                                                                 os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600))
    fcntl.flock(held[1], fcntl.LOCK_EX)
    return held[1]


def _release_writers(locked: int | None, queued: bool) -> None:
    if locked is not None:
        fcntl.flock(locked, fcntl.LOCK_UN)
    if queued:
        _SQLITE_WRITERS.release()


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _sqlite_end(conn):
    """The write transaction ends: the next writer may begin."""
    held = conn.info.pop("holds_sqlite_writers", None)
    if held is not None:
        _release_writers(*held)


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
