"""Forms of the schools' pages (teachers and pupils)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from app.core.forms import AmountRequired, EurosField, choices, strip_text


class ActionForm(FlaskForm):
    """A button that only needs its CSRF token."""


class SchoolForm(FlaskForm):
    name = StringField(_l("Name of the school"), filters=[strip_text], validators=[DataRequired(), Length(max=150)])
    district = SelectField(_l("District"), choices=[], validate_choice=False)


class TeacherForm(FlaskForm):
    email = StringField(_l("Email address of the teacher's account"), filters=[strip_text],
                        validators=[DataRequired(), Email(), Length(max=254)])
    coordinator = BooleanField(_l("Coordinator of the school (may name other teachers)"))


class HandOverForm(FlaskForm):
    teacher = SelectField(_l("Hand over to"), coerce=int, choices=[], validate_choice=False,
                          validators=[InputRequired()])


class ClassForm(FlaskForm):
    name = StringField(_l("Name of the class"), filters=[strip_text], validators=[DataRequired(), Length(max=80)],
                       description=_l("For example “CM2 B”. Do not write pupils' names."))
    grade_level = SelectField(_l("Level"), coerce=int, choices=[], validators=[InputRequired()])
    school_year = StringField(_l("School year"), filters=[strip_text], validators=[DataRequired(), Length(max=9)],
                              description=_l("For example 2026-2027."))


class BudgetForm(FlaskForm):
    title = StringField(_l("Name of the budget"), filters=[strip_text], validators=[DataRequired(), Length(max=200)],
                        description=_l("For example “Our playground”."))
    budget = EurosField(_l("Amount (euros)"), validators=[AmountRequired(_l("Please give the amount."))],
                        maximum_cents=10_000_000)
    kind = RadioField(_l("How pupils vote"), choices=choices([
        ("approval", _l("Each pupil ticks the ideas they like (up to three)")),
        ("knapsack", _l("Each pupil fills a basket that fits in the budget (older pupils)")),
    ]), default="approval", validators=[InputRequired()])
    whole_school = BooleanField(_l("One budget for the whole school (classes of the school without a budget "
                                   "join it)"))


class PriceForm(FlaskForm):
    label = StringField(_l("What it is"), filters=[strip_text], validators=[DataRequired(), Length(max=80)],
                        description=_l("For example “a bench” or “ten books”."))
    icon = SelectField(_l("Picture"), choices=[], validators=[InputRequired()])
    cost = EurosField(_l("Price (euros)"), validators=[AmountRequired(_l("Please give the price."))],
                      maximum_cents=10_000_000)


class CardsForm(FlaskForm):
    count = IntegerField(_l("Number of cards"), validators=[InputRequired(), NumberRange(min=1, max=40)])


class ModerateForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=choices([("approve", _l("Approve")), ("refuse", _l("Refuse"))]),
                          validators=[InputRequired()])


class CityForm(FlaskForm):
    cycle = SelectField(_l("City budget"), coerce=int, choices=[], validators=[InputRequired()])


class SignInForm(FlaskForm):
    class_code = StringField(_l("Class code"), filters=[strip_text], validators=[DataRequired(), Length(max=20)],
                             render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    card_code = StringField(_l("Code on your card"), filters=[strip_text], validators=[DataRequired(), Length(max=30)],
                            render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class IdeaForm(FlaskForm):
    title = StringField(_l("Your idea"), filters=[strip_text], validators=[DataRequired(), Length(max=150)],
                        description=_l("In a few words."))
    why = TextAreaField(_l("Why is it a good idea?"), filters=[strip_text],
                        validators=[DataRequired(), Length(max=2000)])
    price = RadioField(_l("How much does it cost?"), coerce=int, choices=[], validators=[InputRequired()])
    image = FileField(_l("A drawing or a photo (if you want)"), validators=[Optional()])


class CommentForm(FlaskForm):
    stance = RadioField(_l("What do you think?"),
                        choices=choices([("for", _l("I am for")), ("against", _l("I am against"))]),
                        validators=[InputRequired()])
    body = TextAreaField(_l("Say why, kindly"), filters=[strip_text], validators=[DataRequired(), Length(max=1000)])
