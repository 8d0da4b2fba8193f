"""Locale selection and Babel-based formatting helpers."""

from decimal import Decimal
from functools import lru_cache

import flask_wtf.i18n
from babel import numbers, support
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import format_decimal, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape
from wtforms.i18n import messages_path

LOCALE_COOKIE = "locale"
API_PREFIX = "/api/"
LANGUAGE_NAMES = {"fr": "Français", "en": "English", "nl": "Nederlands"}


def _escaped_html(self) -> Markup:
    """flask-babel's lazy strings call themselves safe HTML (``__html__`` returns the raw text), so a lazy message
    carrying a user's value (``_l("“%(title)s” is closed.", title=...)``) would reach a page unescaped. Our messages
    hold no markup: escape them like any other text."""
    return escape(str(self))


LazyString.__html__ = _escaped_html


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, worker, tests: the city's default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith(API_PREFIX):  # machines: the Accept-Language header alone, else English
        return request.accept_languages.best_match(languages) or "en"
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _translations():
    """The translations of the language in use, looked up once per request and language: Flask-Babel looks them up
    again on every call (its context three times, the domain, the locale's name), and a ballot page translates some
    fifty strings. Kept on ``g`` beside the locale they are for, so that ``force_locale`` (a mail rendered in its
    recipient's language) still switches."""
    locale = get_locale()
    if locale is None or not has_app_context():
        return get_translations()
    cached = g.get("_babel_translations")
    if cached is None or cached[0] is not locale:
        cached = g._babel_translations = (locale, get_translations())
    return cached[1]


def install_template_gettext(app) -> None:
    """Templates translate through ``_translations`` (same callables as Flask-Babel installs, minus the look-ups)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str):
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


def _wtforms_translations():
    """WTForms' own messages ("Not a valid choice"...) in the language in use: Flask-WTF reads their catalogue
    from disk again in every request that builds a form; this reads it once per language and process."""
    if not has_request_context():
        return None
    locale = get_locale()
    return _wtforms_catalogue(str(locale)) if locale is not None else None


def install_wtforms_translations() -> None:
    """Flask-WTF's translations look their catalogue up through this module function, at each call."""
    flask_wtf.i18n._get_translations = _wtforms_translations


def euros(cents: int | None) -> str:
    """Format an amount in integer cents as euros for the current locale (no cents when round)."""
    if cents is None:
        return ""
    locale = get_locale()  # None outside a request: Babel's default, as flask-babel's format_currency does
    return _euros(cents, str(locale) if locale else None)


@lru_cache(maxsize=8192)
def _euros(cents: int, locale: str | None) -> str:
    """Babel's formatting, once per amount and language: a ballot page shows the same costs to every voter."""
    amount = Decimal(cents) / 100
    if cents % 100 == 0:
        return numbers.format_currency(amount, "EUR", format="#,##0\xa0¤", currency_digits=False, locale=locale)
    return numbers.format_currency(amount, "EUR", locale=locale)


def number(value) -> str:
    return format_decimal(value)


def remember_locale(response, locale: str):
    """Keep the chosen language in a cookie for visitors and for the next sign-in."""
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
