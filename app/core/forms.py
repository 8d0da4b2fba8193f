"""Form helpers shared by every feature."""

import re
from decimal import Decimal

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from app.core.i18n import LANGUAGE_NAMES


def strip_text(value):
    """WTForms filter: surrounding spaces never count (an email, a name, a title typed with a trailing space)."""
    return value.strip() if isinstance(value, str) else value


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def language_choices() -> list[SelectChoice]:
    return choices(LANGUAGE_NAMES.items())


class ModelSelectField(SelectField):
    """A select of model rows by id, with an optional empty choice whose value is 0."""

    def __init__(self, label=None, validators=None, empty_label=None, **kwargs):
        super().__init__(label, validators, coerce=int, validate_choice=False, **kwargs)
        self.empty_label = empty_label

    def fill(self, session, model, label=lambda row: row.name, order_by=None, rows=None):
        """Offer every row of ``model`` (or only ``rows``, when given)."""
        if rows is None:
            rows = session.scalars(select(model).order_by(order_by if order_by is not None else model.id)).all()
        pairs = [(0, self.empty_label)] if self.empty_label is not None else []
        self.choices = choices(pairs + [(row.id, label(row)) for row in rows])
        self._rows = {row.id: row for row in rows}
        return self

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = -1

    def pre_validate(self, form):
        allowed = {choice.value for choice in self.choices}
        if self.data not in allowed:
            raise ValidationError(_l("Please choose an option from the list."))

    @property
    def row(self):
        return self._rows.get(self.data) if self.data else None


MAX_EUROS = 1_000_000_000  # a billion euros: more than any city's participatory budget
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_AMOUNT = re.compile(r"^\d[\d.,]*$")


class AmountError(ValueError):
    pass


def parse_euros(text: str, maximum_cents: int = MAX_EUROS * 100) -> int | None:
    """Euros as people type them ("1 500 000", "1500000,50", "1.500.000,50 €", "1,500,000.50") -> integer cents.

    A separator followed by one or two digits at the end is the decimal separator; any other separator groups
    thousands (groups of three digits). Raises ``AmountError`` with a translated message.
    """
    raw = _SPACES.sub("", text or "")
    raw = re.sub(r"(€|eur|euros?)$", "", raw, flags=re.IGNORECASE)
    if not raw:
        return None
    if raw.startswith("-"):
        raise AmountError(_l("An amount cannot be negative."))
    if not _AMOUNT.match(raw) or raw[-1] in ".,":
        raise AmountError(_l("Please enter an amount in euros, for example 1 500 000 or 1500000,50."))
    integer, decimals = raw, ""
    last = max(raw.rfind(","), raw.rfind("."))
    if last != -1 and len(raw) - last - 1 in (1, 2):
        integer, decimals = raw[:last], raw[last + 1:]
    separators = set(re.findall(r"[.,]", integer))
    if not decimals and len(re.findall(r"[.,]", integer)) == 1 and len(integer) - last - 1 == 3:
        # "12,345" is 12.345 for some and 12 345 for others: money must not be guessed.
        raise AmountError(_l("Please write the amount without a thousands separator, or with at most two "
                             "decimals: for example 12345 or 12,34."))
    if separators:
        groups = re.split(r"[.,]", integer)
        decimal_separator = raw[last] if decimals else None
        if (len(separators) > 1 or decimal_separator in separators or not 1 <= len(groups[0]) <= 3
                or any(len(group) != 3 for group in groups[1:])):
            raise AmountError(_l("Please enter an amount in euros, for example 1 500 000 or 1500000,50."))
        integer = "".join(groups)
    cents = int(integer) * 100 + int(decimals.ljust(2, "0") or 0)
    if cents > maximum_cents:
        raise AmountError(_l("This amount is too large."))
    return cents


def format_euros_input(cents: int | None) -> str:
    """Cents as the reader's locale writes euros, without the currency sign, so that the form reads it back."""
    if cents is None:
        return ""
    pattern = "0" if cents % 100 == 0 else "0.00"  # no grouping: read back without ambiguity
    return format_decimal(Decimal(cents) / 100, format=pattern)


class EurosField(StringField):
    """An amount typed in euros, stored as integer cents in ``data`` (None when empty)."""

    def __init__(self, label=None, validators=None, maximum_cents: int = MAX_EUROS * 100, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.maximum_cents = maximum_cents

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist:
            try:
                self.data = parse_euros(valuelist[0], self.maximum_cents)
            except AmountError as error:
                raise ValueError(error.args[0])

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_euros_input(self.data)


class AmountRequired:
    """Like DataRequired, for amounts where 0 is a value; quiet when the amount could not even be read."""

    field_flags = {"required": True}

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.process_errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(self.message)
