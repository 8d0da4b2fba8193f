"""Forms for reports and moderation. Services check the same rules again; forms give field-by-field messages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import choices
from app.core.forms import strip_text as _strip
from app.deliberation.models import ReportReason
from app.deliberation.moderation import (
    MAX_DETAILS,
    MAX_SUSPENSION_DAYS,
    MAX_SUSPENSION_REASON,
    MAX_WORD,
    MIN_SUSPENSION_DAYS,
    REASON_LABELS,
)


def reason_choices():
    return choices((reason.value, label) for reason, label in REASON_LABELS.items())


class ReportForm(FlaskForm):
    reason = RadioField(_l("Why are you reporting this?"),
                        validators=[DataRequired(message=_l("Please choose a reason."))])
    details = TextAreaField(
        _l("Details"),
        validators=[Optional(), Length(max=MAX_DETAILS, message=_l("Please keep the details under %(max)d "
                                                                     "characters."))],
        description=_l("Optional, except for “other”. At most %(max)d characters. Moderators read it; it is not "
                       "published.", max=MAX_DETAILS),
        filters=[_strip],
        render_kw={"rows": 5, "maxlength": MAX_DETAILS},
    )
    submit = SubmitField(_l("Send the report"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()

    def validate_details(self, field):
        if self.reason.data == ReportReason.OTHER.value and not field.data:
            raise ValidationError(_l("Please say what is wrong when you choose “other”."))


class DecisionForm(FlaskForm):
    """Hide (or reject) with a public reason; the other decisions use only the CSRF token."""

    reason = SelectField(_l("Public reason"), validators=[Optional()], validate_choice=False)  # the service checks
    next = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = reason_choices()


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Reports"), validators=[Optional()])
    type = SelectField(_l("Content"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = choices([("open", _l("Waiting for a decision")), ("decided", _l("Decided"))])
        self.type.choices = choices([("", _l("Comments and proposals")), ("comment", _l("Comments")),
                                     ("proposal", _l("Proposals"))])


class SuspendForm(FlaskForm):
    days = StringField(
        _l("Number of days"),
        validators=[DataRequired(message=_l("Please give a number of days."))],
        description=_l("From %(min)d day to %(max)d days (a year).", min=MIN_SUSPENSION_DAYS,
                       max=MAX_SUSPENSION_DAYS),
        filters=[_strip],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Please give the reason for the suspension: the person will read it.")),
                    Length(max=MAX_SUSPENSION_REASON,
                           message=_l("Please keep the reason under %(max)d characters."))],
        description=_l("The person receives it by notification and email."),
        filters=[_strip],
        render_kw={"rows": 4, "maxlength": MAX_SUSPENSION_REASON},
    )
    submit = SubmitField(_l("Suspend the account"))

    def validate_days(self, field):
        raw = field.data or ""
        if not raw.isdigit() or not MIN_SUSPENSION_DAYS <= int(raw) <= MAX_SUSPENSION_DAYS:
            raise ValidationError(_l("A suspension lasts from %(min)d to %(max)d days.", min=MIN_SUSPENSION_DAYS,
                                     max=MAX_SUSPENSION_DAYS))


class WordForm(FlaskForm):
    word = StringField(
        _l("Word or phrase"),
        validators=[DataRequired(message=_l("Please enter a word or a phrase.")),
                    Length(max=MAX_WORD, message=_l("A forbidden word or phrase has at most %(max)d characters."))],
        description=_l("Matched as whole words, whatever the case and accents: “crétin” also catches “CRETINS”."),
        filters=[_strip],
        render_kw={"maxlength": MAX_WORD, "autocomplete": "off"},
    )
    submit = SubmitField(_l("Add"))


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token (lift a suspension, remove a word)."""
