"""Configuration: defaults here, overridden from the environment inside ``create_app``.

Every variable may be given with the ``BUDGET_`` prefix (or ``FLASK_`` for Flask's own); ``DATABASE_URL`` is read as is.
"""

import os
import secrets
from pathlib import Path

from flask import Flask

LOCALES = ("fr", "en", "nl")


class Config:
    ENV_NAME = "production"
    # SQLALCHEMY_DATABASE_URI comes from DATABASE_URL, else an SQLite file in the instance folder.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = 4 * 3600
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    LANGUAGES = LOCALES
    TIMEZONE = "Europe/Paris"

    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = False
    MAIL_SENDER = "Budget Commun <ne-pas-repondre@budget-commun.local>"

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    AUTH_RATE_LIMIT = "10 per minute;60 per hour"
    COMMENT_RATE_LIMIT = "10 per minute;60 per hour"  # comments per account
    COMMENT_ADDRESS_RATE_LIMIT = "30 per minute;300 per hour"  # per address: a library or a school shares one

    BASE_URL = ""  # public address of the site, for links in emails sent outside a request
    TILE_URL = ""
    TILE_ATTRIBUTION = ""
    PROXY_COUNT = 0
    CITY_NAME = "Lille"
    SOURCE_URL = "https://forge.example.org/budget-commun"
    # Licence of the open data (API, exports, catalogue), chosen by the city among DATA_LICENCES: "etalab-2.0"
    # (Licence Ouverte / Open Licence 2.0) or "odbl-1.0" (Open Database License). DATA_LICENCE (its name) and
    # DATA_LICENCE_URL are derived from it in create_app.
    DATA_LICENCE_ID = "etalab-2.0"
    API_RATE_LIMIT = "120 per minute;2000 per hour"  # public API and open-data downloads, per address
    API_MAX_PER_PAGE = 100

    # Key of the HMAC that stands for census identifiers (the identifiers themselves are never stored). Empty:
    # derived from SECRET_KEY. Set it in production and never change it: entries and bindings depend on it.
    CENSUS_SECRET = ""
    CENSUS_RATE_LIMIT = "5 per 15 minutes;20 per day"  # census verification attempts per account
    CENSUS_ADDRESS_RATE_LIMIT = "20 per 15 minutes;100 per day"  # per address (a library shares one)
    PAPER_RATE_LIMIT = "30 per minute;1000 per hour"  # census checks by one polling-station staff member
    # Key of the HMAC that stands for voting codes (the codes themselves are never stored). Empty: derived from
    # SECRET_KEY. Changing it makes every code already printed invalid.
    VOTING_CODE_SECRET = ""
    # Failed voting-code entries per address (wrong, used or cancelled codes, wrong identifiers); successes do not
    # count, so that a school or a library sharing one address is not blocked by its pupils' or readers' votes.
    CODE_RATE_LIMIT = "10 per 10 minutes;60 per day"
    # Failed pupil sign-ins (class code and card) per address; a class signing in from one address is not blocked
    # by its successes.
    PUPIL_RATE_LIMIT = "20 per 10 minutes;100 per day"
    # Flask-Caching: SimpleCache is per process; set CACHE_TYPE=RedisCache and CACHE_REDIS_URL to share it.
    CACHE_TYPE = "SimpleCache"
    CACHE_DEFAULT_TIMEOUT = 60
    DESK_CACHE_SECONDS = 15  # how old the staff desk's figures may be
    # How old each process's copy of a cycle (dates, envelopes) may be on the ballot's pages: an official's edit
    # reaches the other processes within this many seconds (0: read the cycle at every request).
    CYCLE_CACHE_SECONDS = 2

    # A count in a web request spends at most this long explaining, for each project equal shares left out, the
    # largest cost at which it would have been funded (the add1 rules re-count the election a few dozen times per
    # project); the rest wait for the "compute the next explanations" button or ``flask pb explain``.
    TALLY_EXPLAIN_SECONDS = 10.0

    CONFIRM_TOKEN_HOURS = 48
    RESET_TOKEN_HOURS = 1

    CALLCENTER_PHONE_REGION = "FR"  # phone numbers typed without a country code are read as French numbers
    CALLCENTER_RETENTION_MONTHS = 6  # callers' contact data are erased this long after their budgets close
    CALLCENTER_TASK_HOLD_HOURS = 2  # a callback taken longer ago than this can be taken by another agent
    CLAIM_RATE_LIMIT = "5 per minute;20 per hour"  # claim-code attempts per account and per address

    # Personal data (app.privacy): retention periods that ``flask pb purge`` applies and the privacy page states.
    PRIVACY_CONTACT_EMAIL = ""  # where residents write about their data (the city's data protection officer)
    UNCONFIRMED_ACCOUNT_DAYS = 30  # an account whose email was never confirmed is erased after this many days
    AUDIT_RETENTION_MONTHS = 12  # audit log entries (who did what) are deleted after this many months
    OUTBOX_RETENTION_DAYS = 30  # delivered (or failed) emails are deleted from the outbox after this many days
    NOTIFICATION_RETENTION_MONTHS = 12  # in-app notifications already read are deleted after this many months
    ADDRESS_HASH_RETENTION_DAYS = 30  # the keyed hash of a commenter's address (anti-flood) is blanked after this
    DATA_EXPORT_LINK_MINUTES = 30  # a "download my data" link works once, for this long
    PRIVACY_RATE_LIMIT = "5 per minute;30 per hour"  # data downloads asked and deletion attempts per address


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SERVER_NAME = None


ENV_VARIABLES = {
    # name: type
    "ENV_NAME": str,
    "SECRET_KEY": str,
    "CENSUS_SECRET": str,
    "CENSUS_RATE_LIMIT": str,
    "CENSUS_ADDRESS_RATE_LIMIT": str,
    "PAPER_RATE_LIMIT": str,
    "VOTING_CODE_SECRET": str,
    "CODE_RATE_LIMIT": str,
    "PUPIL_RATE_LIMIT": str,
    "CACHE_TYPE": str,
    "CACHE_REDIS_URL": str,
    "DESK_CACHE_SECONDS": int,
    "CYCLE_CACHE_SECONDS": int,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_USE_TLS": bool,
    "MAIL_SENDER": str,
    "RATELIMIT_STORAGE_URI": str,
    "AUTH_RATE_LIMIT": str,
    "BASE_URL": str,
    "TILE_URL": str,
    "TILE_ATTRIBUTION": str,
    "DEFAULT_LOCALE": str,
    "TIMEZONE": str,
    "PROXY_COUNT": int,
    "CITY_NAME": str,
    "SOURCE_URL": str,
    "DATA_LICENCE_ID": str,
    "API_RATE_LIMIT": str,
    "API_MAX_PER_PAGE": int,
    "CALLCENTER_PHONE_REGION": str,
    "CALLCENTER_RETENTION_MONTHS": int,
    "CALLCENTER_TASK_HOLD_HOURS": int,
    "CLAIM_RATE_LIMIT": str,
    "PRIVACY_CONTACT_EMAIL": str,
    "UNCONFIRMED_ACCOUNT_DAYS": int,
    "AUDIT_RETENTION_MONTHS": int,
    "OUTBOX_RETENTION_DAYS": int,
    "NOTIFICATION_RETENTION_MONTHS": int,
    "ADDRESS_HASH_RETENTION_DAYS": int,
    "DATA_EXPORT_LINK_MINUTES": int,
    "PRIVACY_RATE_LIMIT": str,
    "TALLY_EXPLAIN_SECONDS": float,
}


# The open-data licences a city may choose: identifier -> name, address, SPDX identifier.
DATA_LICENCES = {
    "etalab-2.0": ("Licence Ouverte / Open Licence 2.0 (Etalab)",
                   "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", "etalab-2.0"),
    "odbl-1.0": ("Open Database License (ODbL) 1.0", "https://opendatacommons.org/licenses/odbl/1-0/", "ODbL-1.0"),
}


def apply_data_licence(app: Flask) -> None:
    """Name and address of the chosen licence; an unknown choice stops the application at start-up."""
    choice = app.config["DATA_LICENCE_ID"]
    if choice not in DATA_LICENCES:
        raise ValueError(f"DATA_LICENCE_ID must be one of {', '.join(DATA_LICENCES)}, not {choice!r}")
    app.config["DATA_LICENCE"], app.config["DATA_LICENCE_URL"], app.config["DATA_LICENCE_SPDX"] = DATA_LICENCES[choice]


def _convert(kind, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return kind(raw)


def load_environment(app: Flask) -> None:
    """Read ``BUDGET_*`` / ``FLASK_*`` variables. Called by ``create_app``, never at import time."""
    for name, kind in ENV_VARIABLES.items():
        for prefix in ("BUDGET_", "FLASK_"):
            raw = os.environ.get(prefix + name)
            if raw is not None:
                app.config[name] = _convert(kind, raw)
                break
    if "DEFAULT_LOCALE" in app.config:
        app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["TIMEZONE"]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if app.config["ENV_NAME"] == "development":
        app.config["SESSION_COOKIE_SECURE"] = False
        app.config["REMEMBER_COOKIE_SECURE"] = False


def normalise_database_url(url: str) -> str:
    """Accept the ``postgres://`` and ``postgresql://`` forms hosting services give, and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_instance_defaults(app: Flask) -> None:
    """SQLite database and secret key in the instance folder when the environment gives none."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'budget.sqlite'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")


def _instance_secret(path: Path) -> str:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key)
    return key
