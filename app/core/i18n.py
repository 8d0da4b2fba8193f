"""Locale selection and Babel-based formatting helpers."""

from decimal import Decimal

from flask import current_app, has_request_context, request
from flask_babel import format_currency, format_decimal
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

LOCALE_COOKIE = "locale"
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
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def euros(cents: int | None) -> str:
    """Format an amount in integer cents as euros for the current locale (no cents when round)."""
    if cents is None:
        return ""
    amount = Decimal(cents) / 100
    pattern = "#,##0\xa0¤" if cents % 100 == 0 else None
    if pattern:
        return format_currency(amount, "EUR", format=pattern, currency_digits=False)
    return format_currency(amount, "EUR")


def number(value) -> str:
    return format_decimal(value)


def remember_locale(response, locale: str):
    """Keep the chosen language in a cookie for visitors and for the next sign-in."""
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
