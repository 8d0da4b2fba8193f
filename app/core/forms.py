"""Form helpers shared by every feature."""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from app.core.i18n import LANGUAGE_NAMES


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

    def fill(self, session, model, label=lambda row: row.name, order_by=None):
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


class EurosField(StringField):
    """An amount typed in euros ("1 500 000", "12,50", "12.50 €") stored as integer cents in ``data``."""

    def __init__(self, label=None, validators=None, maximum_cents: int = 10**14, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum_cents = maximum_cents
        self.render_kw = {"inputmode": "decimal", **(self.render_kw or {})}

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        euros, cents = divmod(int(self.data), 100)
        return f"{euros}" if not cents else f"{euros},{cents:02d}"

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        raw = valuelist[0].replace("€", "").replace("\u202f", "").replace("\xa0", "").replace(" ", "").strip()
        if raw.count(",") == 1 and "." not in raw:
            raw = raw.replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValueError(_l("Please give an amount in euros, for example 15 000."))
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            raise ValueError(_l("Please give a positive amount in euros, with at most two decimals."))
        cents = int(value * 100)
        if cents > self.maximum_cents:
            raise ValueError(_l("This amount is too large."))
        self.data = cents
