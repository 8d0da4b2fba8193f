"""Forms of the census, eligibility and polling-station pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.forms import strip_text

IDENTIFIER_KW = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


class CensusUploadForm(FlaskForm):
    file = FileField(
        _l("List of residents (CSV file)"),
        validators=[FileRequired(message=_l("Please choose the CSV file to upload."))],
        description=_l("One resident per line: identifier, district (name or short name), year of birth. Commas or "
                       "semicolons; a first line of column titles is allowed. The new list replaces the current "
                       "one: residents it no longer lists become inactive."),
        render_kw={"accept": ".csv,text/csv"})
    submit = SubmitField(_l("Check and import the list"))


class VerifyForm(FlaskForm):
    identifier = StringField(
        _l("Your resident identifier"), filters=[strip_text],
        validators=[DataRequired(message=_l("Please type your identifier.")),
                    Length(max=80, message=_l("An identifier has at most %(max)d characters."))],
        description=_l("It is printed on the letter the city sent you. Spaces and small letters do not matter."),
        render_kw=IDENTIFIER_KW)
    submit = SubmitField(_l("Verify my residence"))


class BirthYearForm(FlaskForm):
    birth_year = IntegerField(
        _l("Your year of birth"),
        validators=[InputRequired(message=_l("Please enter your year of birth.")),
                    NumberRange(min=1880, max=2200, message=_l("Please enter a year with four digits."))],
        description=_l("Four digits, for example 2009. You give it once: it cannot be changed afterwards."),
        render_kw={"inputmode": "numeric", "autocomplete": "bday-year"})
    submit = SubmitField(_l("Continue to the ballot"))


class EligibilityForm(FlaskForm):
    census_required = BooleanField(_l("Online voters must have verified their residence on the city's list"))
    minimum_age = IntegerField(
        _l("Minimum age"),
        validators=[Optional(), NumberRange(min=0, max=120, message=_l("Please enter a number between %(min)s and "
                                                                        "%(max)s."))],
        description=_l("Voters must reach this age during the year of the vote. Leave empty for no minimum."),
        render_kw={"inputmode": "numeric"})
    submit = SubmitField(_l("Save who may vote"))


class StationForm(FlaskForm):
    name = StringField(_l("Name of the polling station"), filters=[strip_text],
                       validators=[DataRequired(message=_l("Please give the station a name.")),
                                   Length(max=120, message=_l("At most %(max)d characters."))])
    address = StringField(_l("Address (optional)"), filters=[strip_text],
                          validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    submit = SubmitField(_l("Add the polling station"))


class PersonCheckForm(FlaskForm):
    identifier = StringField(
        _l("Identifier on the person's letter"), filters=[strip_text],
        validators=[DataRequired(message=_l("Please type the person's identifier.")),
                    Length(max=80, message=_l("An identifier has at most %(max)d characters."))],
        render_kw=IDENTIFIER_KW)
    submit = SubmitField(_l("Check this person"))
