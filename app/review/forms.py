"""Forms of the city's review. Several forms share the review page, each with its own prefix."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import EurosField, ModelSelectField, choices
from app.core.forms import strip_text as _strip
from app.review.services import MAX_COST_CENTS, NOTES_MAX, REASON_MAX, SUMMARY_MAX, TITLE_MAX


def fill_rows(field: ModelSelectField, rows, label, empty_label=None) -> ModelSelectField:
    """Fill a ModelSelectField from rows chosen by the caller (``ModelSelectField.fill`` takes a whole table)."""
    pairs = [(0, empty_label)] if empty_label is not None else []
    field.choices = choices(pairs + [(row.id, label(row)) for row in rows])
    field._rows = {row.id: row for row in rows}
    return field


class ReviewFilterForm(FlaskForm):
    class Meta:
        csrf = False

    cycle = ModelSelectField(_l("Cycle"))
    district = SelectField(_l("District"), validators=[Optional()])
    category = ModelSelectField(_l("Theme"), empty_label=_l("All themes"))
    status = SelectField(_l("Status"), validators=[Optional()])
    mine = BooleanField(_l("Only the proposals assigned to me"))


class StartReviewForm(FlaskForm):
    submit = SubmitField(_l("Start the review"))


class FeasibleForm(FlaskForm):
    city_cost = EurosField(
        _l("Cost estimated by the city, in euros"),
        maximum_cents=MAX_COST_CENTS,
        description=_l("This cost, not the resident's estimate, goes on the ballot."),
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    ballot_title = StringField(
        _l("Title on the ballot"),
        validators=[DataRequired(message=_l("Please enter the title shown on the ballot.")),
                    Length(max=TITLE_MAX, message=_l("The ballot title must have at most %(max)d characters."))],
        filters=[_strip],
        description=_l("At most %(max)d characters.", max=TITLE_MAX),
    )
    ballot_summary = TextAreaField(
        _l("Summary on the ballot"),
        validators=[Length(max=SUMMARY_MAX, message=_l("The ballot summary must have at most %(max)d characters."))],
        filters=[_strip],
        description=_l("At most %(max)d characters, in plain words.", max=SUMMARY_MAX),
    )
    submit = SubmitField(_l("Feasible: put it on the ballot"))

    def validate_city_cost(self, field):
        if field.errors:
            return
        if field.data is None:
            raise ValidationError(_l("Please enter the city's cost estimate."))
        if field.data <= 0:
            raise ValidationError(_l("The cost must be more than 0 € and at most 1 billion €."))


class NotFeasibleForm(FlaskForm):
    template = ModelSelectField(_l("Reason from the list"), empty_label=_l("No template: I write the reason"))
    reason = TextAreaField(
        _l("Reason in your own words"),
        validators=[Length(max=REASON_MAX, message=_l("The reason must have at most %(max)d characters."))],
        filters=[_strip],
        description=_l("Shown publicly. If you also chose a reason from the list, this text follows it."),
    )
    submit = SubmitField(_l("Not feasible"))

    def validate_reason(self, field):
        if not field.data and not self.template.data:
            raise ValidationError(_l("Please choose a reason or write one: residents are told why."))


class NotesForm(FlaskForm):
    notes = TextAreaField(
        _l("Staff notes"),
        validators=[Length(max=NOTES_MAX, message=_l("The notes must have at most %(max)d characters."))],
        description=_l("Seen only by city staff, never published."),
    )
    submit = SubmitField(_l("Save the notes"))


class AssignForm(FlaskForm):
    reviewer = ModelSelectField(_l("Reviewer"), empty_label=_l("Nobody in particular"))
    submit = SubmitField(_l("Assign"))


def parse_numbers(raw: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d{1,12}", raw or "")]


class MergeForm(FlaskForm):
    duplicates = StringField(
        _l("Numbers of the duplicate proposals"),
        validators=[DataRequired(message=_l("Please give at least one proposal to merge.")),
                    Length(max=200, message=_l("Please give at most a few numbers at a time."))],
        description=_l("Separated by commas, for example: 12, 15. They will point to this project."),
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField(_l("Merge into this project"))

    def validate_duplicates(self, field):
        if field.data and not re.fullmatch(r"[\d\s,;#]*\d[\d\s,;#]*", field.data):
            raise ValidationError(_l("Please give proposal numbers separated by commas, for example: 12, 15."))
        if len(parse_numbers(field.data)) > 20:
            raise ValidationError(_l("Please give at most 20 numbers at a time."))

    @property
    def numbers(self) -> list[int]:
        return parse_numbers(self.duplicates.data)


def _reason_field(label, required=False):
    validators = [Length(max=500, message=_l("A reason must have at most %(max)d characters."))]
    if required:
        validators.insert(0, DataRequired(message=_l("Please write the reason in French.")))
    return TextAreaField(label, validators=validators, filters=[_strip])


class ReasonTemplateForm(FlaskForm):
    text_fr = _reason_field(_l("Reason in French"), required=True)
    text_en = _reason_field(_l("Reason in English (optional)"))
    text_nl = _reason_field(_l("Reason in Dutch (optional)"))
    submit = SubmitField(_l("Save the reason"))


class ConfirmForm(FlaskForm):
    """A button that posts (delete a reason template, freeze the ballot)."""

    submit = SubmitField(_l("Confirm"))
