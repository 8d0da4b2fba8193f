"""Forms of the call center. The services check every rule again; the forms give errors on the right field."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.callcenter.models import AttemptOutcome, CallOutcome, ContactPreference
from app.callcenter.services import COMPLAINT_MAX, NAME_MAX, TEXT_MAX, TITLE_MAX
from app.core.forms import ModelSelectField, choices, language_choices
from app.core.forms import strip_text as _strip
from app.proposals.forms import LocationFields, location_fields


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search the open proposals"), validators=[Optional(), Length(max=100)], filters=[_strip],
                    description=_l("Words of the title or text, a district, a street."),
                    render_kw={"type": "search", "autocomplete": "off", "spellcheck": "false"})


OUTCOME_LABELS = {
    CallOutcome.NEW_PROPOSAL: _l("New proposal on the caller's behalf"),
    CallOutcome.ATTACHED: _l("Attach the caller to an existing proposal"),
    CallOutcome.NOT_PB: _l("Not for the participatory budget: another city service handles it"),
}

ATTEMPT_LABELS = {
    AttemptOutcome.REACHED: _l("Reached: the news was given"),
    AttemptOutcome.VOICEMAIL: _l("Voicemail left with the news"),
    AttemptOutcome.NO_ANSWER: _l("No answer: try again tomorrow"),
    AttemptOutcome.WRONG_NUMBER: _l("Wrong number"),
    AttemptOutcome.STOP: _l("The caller asks us to stop (their data are erased)"),
}


class IntakeForm(LocationFields, FlaskForm):
    complaint = TextAreaField(
        _l("The caller's request, in their words"),
        validators=[DataRequired(message=_l("Please write down the caller's request.")),
                    Length(max=COMPLAINT_MAX, message=_l("The request must have at most %(max)d characters."))],
        render_kw={"rows": 5},
    )
    address, latitude, longitude = location_fields()
    district = ModelSelectField(_l("District"), empty_label=_l("The whole city"), default=0)
    category = ModelSelectField(_l("Theme"), empty_label=_l("No theme"), default=0)

    consent = BooleanField(_l("The caller agrees to be called back about this request"),
                           description=_l("Read out: “May we keep your name and number to call you back about this "
                                          "request? You can ask us to forget them at any time.” Without a yes, "
                                          "nothing below is kept."))
    name = StringField(_l("Caller's name"), validators=[Optional(), Length(max=NAME_MAX)], filters=[_strip],
                       render_kw={"autocomplete": "off"})
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=30)], filters=[_strip],
                        description=_l("French numbers without the country code, others with it (+32 …)."),
                        render_kw={"type": "tel", "autocomplete": "off"})
    email = StringField(_l("Email (optional)"), validators=[Optional(), Length(max=254)], filters=[_strip],
                        render_kw={"type": "email", "autocomplete": "off"})
    language = SelectField(_l("Language of the call"), default="fr")
    preferred_contact = RadioField(
        _l("Preferred way to be told the news"), default=ContactPreference.PHONE.value,
        choices=choices([(ContactPreference.PHONE.value, _l("Phone call")),
                         (ContactPreference.EMAIL.value, _l("Email"))]))

    outcome = RadioField(_l("Outcome of the call"),
                         choices=choices([(o.value, label) for o, label in OUTCOME_LABELS.items()]),
                         validators=[DataRequired(message=_l("Please choose the outcome of the call."))])
    cycle = ModelSelectField(_l("Budget"), default=0)
    title = StringField(_l("Title of the proposal"), validators=[Optional(), Length(max=TITLE_MAX)],
                        filters=[_strip], description=_l("Leave empty to use the first sentence of the request."))
    proposal = IntegerField(_l("Number of the proposal"),
                            validators=[Optional(), NumberRange(min=1, max=2**31 - 1,
                                                                message=_l("Not a proposal number."))],
                            description=_l("Find it with the search above; its number is shown with each result."))
    phone_support = BooleanField(_l("The caller supports this proposal"),
                                 description=_l("Only during the submission phase, where the budget allows "
                                                "supports by phone, and with the caller's consent."))
    service = ModelSelectField(_l("City service"), default=0)
    submit = SubmitField(_l("Record the call"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.location_valid() and valid


class AttemptForm(FlaskForm):
    outcome = RadioField(_l("What happened?"), choices=choices(list(ATTEMPT_LABELS.items())),
                         validators=[DataRequired(message=_l("Please choose what happened."))])
    submit = SubmitField(_l("Record"))


class ActionForm(FlaskForm):
    """A bare form for one-button actions: CSRF only."""


class LookupForm(FlaskForm):
    phone = StringField(_l("Caller's phone number"),
                        validators=[DataRequired(message=_l("Please enter the caller's phone number.")),
                                    Length(max=30)],
                        filters=[_strip], render_kw={"type": "tel", "autocomplete": "off"})
    submit = SubmitField(_l("Find the caller"))


class ClaimForm(FlaskForm):
    code = StringField(_l("Claim code"),
                       validators=[DataRequired(message=_l("Please enter the code you were given.")),
                                   Length(max=40)],
                       filters=[_strip], description=_l("12 letters and digits, for example 7KQM-3XWD-9HPA."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    submit = SubmitField(_l("Claim my proposal"))


def _text(label, required=False, maximum=TEXT_MAX, rows=4):
    validators = [DataRequired(message=_l("This text is required."))] if required else [Optional()]
    validators.append(Length(max=maximum, message=_l("This text must have at most %(max)d characters.")))
    return TextAreaField(label, validators=validators, filters=[_strip], render_kw={"rows": rows})


class TalkingPointForm(FlaskForm):
    text_fr = _text(_l("Text in French"))
    text_en = _text(_l("Text in English"))
    text_nl = _text(_l("Text in Dutch"))
    submit = SubmitField(_l("Save"))


class ServiceForm(FlaskForm):
    name_fr = StringField(_l("Name in French"), validators=[DataRequired(message=_l("Please give the name in French.")),
                                                             Length(max=NAME_MAX)], filters=[_strip])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=NAME_MAX)], filters=[_strip])
    name_nl = StringField(_l("Name in Dutch"), validators=[Optional(), Length(max=NAME_MAX)], filters=[_strip])
    answer_fr = _text(_l("Answer to read, in French"), required=True)
    answer_en = _text(_l("Answer to read, in English"))
    answer_nl = _text(_l("Answer to read, in Dutch"))
    submit = SubmitField(_l("Save"))
