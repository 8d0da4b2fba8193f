from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields import MultipleFileField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.core.forms import EurosField, choices
from app.core.forms import strip_text as _strip
from app.tracking.models import ProjectStatus
from app.tracking.services import (
    ALT_MAX,
    BODY_MAX,
    MAX_PHOTOS,
    REASON_MAX,
    STATUS_LABELS,
    TITLE_MAX,
    PhotoUpload,
)


def status_choices():
    return choices([(status.value, STATUS_LABELS[status]) for status in ProjectStatus])


class TrackingForm(FlaskForm):
    status = SelectField(_l("Status"), choices=status_choices(), validate_choice=True)
    progress = IntegerField(
        _l("Progress, in percent"),
        validators=[InputRequired(message=_l("Please give the progress, from 0 to 100.")),
                    NumberRange(min=0, max=100, message=_l("The progress must be a whole number between 0 and 100."))],
        description=_l("From 0 to 100. A project marked as done is at 100 %."),
        render_kw={"min": 0, "max": 100, "step": 1, "inputmode": "numeric"},
    )
    planned_budget = EurosField(
        _l("Planned budget, in euros"),
        validators=[InputRequired(message=_l("Please give the planned budget, in euros."))],
        description=_l("For example 15 000 or 15 000,50."),
    )
    spent = EurosField(
        _l("Spent so far, in euros"),
        validators=[Optional()],
        description=_l("Leave empty if nothing has been spent yet."),
    )
    cancel_reason = TextAreaField(
        _l("Reason for the cancellation"),
        validators=[Length(max=REASON_MAX, message=_l("The reason must have at most %(max)d characters."))],
        description=_l("Required when the project is cancelled. Everyone will see it."),
        filters=[_strip],
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        return {
            "status": self.status.data,
            "progress": self.progress.data,
            "planned_budget_cents": self.planned_budget.data,
            "spent_cents": self.spent.data or 0,
            "cancel_reason": self.cancel_reason.data or "",
        }


class TextListField(StringField):
    """Several inputs with the same name (one per photo slot): ``data`` is the list of their stripped values."""

    def process_formdata(self, valuelist):
        self.data = [value.strip() for value in valuelist]

    def _value(self):
        return ""


class UpdateForm(FlaskForm):
    happened_on = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Please give the date of this news."))],
        description=_l("When did it happen?"),
    )
    title = StringField(
        _l("Title"),
        validators=[InputRequired(message=_l("Please give the update a title.")),
                    Length(max=TITLE_MAX, message=_l("The title must have at most %(max)d characters."))],
        description=_l("For example: “Work has started” or “The benches are installed”."),
        filters=[_strip],
    )
    body = TextAreaField(
        _l("What happened? (optional)"),
        validators=[Length(max=BODY_MAX, message=_l("The text must have at most %(max)d characters."))],
        description=_l("You can use **bold**, *italics* and lists."),
        render_kw={"rows": 8},
    )
    # Up to MAX_PHOTOS file inputs named "photo", each paired with the "photo_alt" input of the same rank.
    photo = MultipleFileField(_l("Photos (optional)"))
    photo_alt = TextListField(_l("Descriptions of the photos"))
    submit = SubmitField(_l("Publish the update"))

    slots = range(1, MAX_PHOTOS + 1)
    alt_max = ALT_MAX

    def photos(self) -> list[PhotoUpload]:
        """The files actually chosen, each with the description typed next to it."""
        files = self.photo.data or []
        alts = self.photo_alt.data or []
        return [PhotoUpload(stream=upload.stream, alt=alts[rank] if rank < len(alts) else "")
                for rank, upload in enumerate(files) if upload is not None and getattr(upload, "filename", "")]

    def alt_values(self) -> list[str]:
        """The descriptions typed, to show them again when the form comes back with an error."""
        alts = list(self.photo_alt.data or []) if isinstance(self.photo_alt.data, list) else []
        return alts + [""] * (MAX_PHOTOS - len(alts))


class ActionForm(FlaskForm):
    """A bare form for one-button actions (open the tracking, delete an update): CSRF only."""
