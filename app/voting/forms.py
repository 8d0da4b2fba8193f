"""Forms of the voting pages. The ballot form is built for the voter's envelopes (one checkbox group each)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.core.forms import ModelSelectField, choices


class BaseBallotForm(FlaskForm):
    # Present while changing a ballot: the receipt code travels in the form's body, never in an address.
    receipt = HiddenField()


def ballot_form(envelopes, prefill: dict | None = None) -> BaseBallotForm:
    """A form with one multiple choice per envelope, named after ``VoterEnvelope.field_name``.

    Without ``prefill`` it reads the request's form (as any FlaskForm); with it (field name -> values), it starts
    from those values and ignores the request. The choices are checked by
    ``app.voting.services.validate_choices`` (which names the rule broken), not by WTForms: ``validate_choice``
    is off.
    """

    class BallotForm(BaseBallotForm):
        pass

    for envelope in envelopes:
        heading = (_l("Projects for the whole city") if envelope.key is None
                   else _l("Projects for %(district)s", district=envelope.label))
        field = SelectMultipleField(heading, coerce=str, validate_choice=False,
                                    choices=choices((str(item.id), item.title) for item in envelope.items))
        setattr(BallotForm, envelope.field_name, field)
    if prefill is not None:
        return BallotForm(formdata=None, **prefill)
    return BallotForm()


class ReceiptForm(FlaskForm):
    code = StringField(_l("Receipt code"),
                       validators=[DataRequired(message=_l("Please enter your receipt code.")),
                                   Length(max=40, message=_l("A receipt code has 16 letters and digits."))],
                       description=_l("16 letters and digits, for example 7KQM-3XWD-9HPA-RT2E. Spaces, dashes "
                                      "and small letters do not matter."),
                       render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})


class DistrictForm(FlaskForm):
    district = ModelSelectField(_l("Your district"), empty_label=_l("Choose your district"),
                                description=_l("The district where you live. It is saved to your profile."))
    submit = SubmitField(_l("Continue to the ballot"))


def _kind_choices():
    from app.voting.services import BUILT_KINDS, kind_label

    return choices((kind.value, kind_label(kind)) for kind in BUILT_KINDS)


def _counting_rule_choices():
    from app.results.rules import OFFERED, rule_label

    names = dict.fromkeys(name for rules in OFFERED.values() for name in rules)
    return choices((name, rule_label(name)) for name in names)


class RulesForm(FlaskForm):
    kind = SelectField(_l("Kind of ballot"), validators=[DataRequired(message=_l("Please choose a kind of ballot."))])
    min_choices = IntegerField(
        _l("Minimum number of projects per envelope"),
        validators=[InputRequired(message=_l("Please enter a number (0 lets a voter leave an envelope blank).")),
                    NumberRange(min=0, max=1000, message=_l("Please enter a number between %(min)s and %(max)s."))],
        render_kw={"inputmode": "numeric"})
    max_choices = IntegerField(
        _l("Maximum number of projects per envelope"),
        validators=[Optional(),
                    NumberRange(min=1, max=1000, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("Required for an approval ballot (Lille asks for up to 5). For a budget ballot, leave it "
                       "empty for no limit."),
        render_kw={"inputmode": "numeric"})
    min_share_percent = IntegerField(
        _l("Minimum share of the envelope to spend (%)"),
        validators=[Optional(),
                    NumberRange(min=0, max=100, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("Budget ballots only: the chosen projects must cost at least this share of the envelope. "
                       "Leave empty for no minimum."),
        render_kw={"inputmode": "numeric"})
    counting_rule = SelectField(
        _l("Counting rule"), validate_choice=False,  # checked against the kind of ballot by the service
        description=_l("How the ballots will be counted, announced before the vote. The rule must suit the kind of "
                       "ballot; equal shares work with every kind."))
    submit = SubmitField(_l("Save the ballot rules"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _kind_choices()
        self.counting_rule.choices = _counting_rule_choices()

