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
    DATA_LICENCE = "Licence Ouverte / Etalab 2.0"
    DATA_LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"

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

    CONFIRM_TOKEN_HOURS = 48
    RESET_TOKEN_HOURS = 1

    CALLCENTER_PHONE_REGION = "FR"  # phone numbers typed without a country code are read as French numbers
    CALLCENTER_RETENTION_MONTHS = 6  # callers' contact data are erased this long after their budgets close
    CALLCENTER_TASK_HOLD_HOURS = 2  # a callback taken longer ago than this can be taken by another agent
    CLAIM_RATE_LIMIT = "5 per minute;20 per hour"  # claim-code attempts per account and per address


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
    "DATA_LICENCE": str,
    "DATA_LICENCE_URL": str,
    "CALLCENTER_PHONE_REGION": str,
    "CALLCENTER_RETENTION_MONTHS": int,
    "CALLCENTER_TASK_HOLD_HOURS": int,
    "CLAIM_RATE_LIMIT": str,
}


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
