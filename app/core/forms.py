"""Form helpers shared by every feature."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField
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
