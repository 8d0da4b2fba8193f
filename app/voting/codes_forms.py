"""Forms of the voting-code pages: generating a batch (officials), typing a code and the holder's details."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.core.forms import ModelSelectField, strip_text
from app.voting.census_forms import BirthYearForm, VerifyForm
from app.voting.codes import MAX_BATCH, MAX_LABEL


class BatchForm(FlaskForm):
    # One-time key of this form (see ``codes.generate_batch``): a reload finds the batch instead of making another.
    form_key = HiddenField()
    district = ModelSelectField(_l("District"), empty_label=_l("Choose a district"),
                                description=_l("The codes open the ballot of this district (and the city-wide one)."))
    label = StringField(
        _l("Name of the batch"), filters=[strip_text],
        validators=[DataRequired(message=_l("Please give the batch a name.")),
                    Length(max=MAX_LABEL, message=_l("At most %(max)d characters."))],
        description=_l("Where the codes go, for example “Letters Fives, March” or “École Jules Ferry, CM2”."))
    count = IntegerField(
        _l("Number of codes"),
        validators=[InputRequired(message=_l("Please enter a number of codes.")),
                    NumberRange(min=1, max=MAX_BATCH, message=_l("Please enter a number between %(min)s and "
                                                                  "%(max)s."))],
        description=_l("From 1 to %(max)d.", max=MAX_BATCH), render_kw={"inputmode": "numeric"})
    census_bound = BooleanField(
        _l("Only for residents on the city's list: the holder also types their resident identifier"),
        description=_l("They then vote as that resident, who cannot vote a second time online or on paper."))
    submit = SubmitField(_l("Generate and show the codes"))


class CodeForm(FlaskForm):
    code = StringField(
        _l("Your voting code"), filters=[strip_text],
        validators=[DataRequired(message=_l("Please type your voting code.")),
                    Length(max=40, message=_l("A voting code has 12 letters and digits."))],
        description=_l("12 letters and digits, for example 7KQM-3XWD-9HPA. Spaces, dashes and small letters do "
                       "not matter."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    submit = SubmitField(_l("Continue"))


class CodeDetailsForm(FlaskForm):
    """What a code's holder adds: their resident identifier (census-bound batch) or year of birth (minimum age).
    The view removes the field it does not need."""

    voting_code = HiddenField()
    identifier = VerifyForm.identifier
    birth_year = BirthYearForm.birth_year
    submit = SubmitField(_l("Continue to the ballot"))

    def keep(self, identifier: bool, birth_year: bool) -> "CodeDetailsForm":
        if not identifier:
            del self.identifier
        if not birth_year:
            del self.birth_year
        return self


