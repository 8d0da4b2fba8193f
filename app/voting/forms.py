"""Forms of the voting pages. The ballot form is built for the voter's envelopes (one checkbox group each)."""

from functools import lru_cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import ModelSelectField, choices, strip_text
from app.voting.models import BallotKind


class BaseBallotForm(FlaskForm):
    # Present while changing a ballot: the receipt code travels in the form's body, never in an address.
    receipt = HiddenField()


def ballot_form(envelopes, kind=BallotKind.APPROVAL, prefill: dict | None = None) -> BaseBallotForm:
    """A form for the voter's envelopes: for approval and knapsack ballots one multiple choice per envelope (named
    after ``VoterEnvelope.field_name``); for points and grades one text field per project (named after
    ``VoterEnvelope.item_field``).

    Without ``prefill`` it reads the request's form (as any FlaskForm); with it (field name -> values), it starts
    from those values and ignores the request. The choices are checked by
    ``app.voting.services.validate_ballot`` (which names the rule broken), not by WTForms: ``validate_choice``
    is off and the value fields have no validators.
    """

    BallotForm = _ballot_form_class(BallotKind(kind), tuple(
        (envelope.field_name, envelope.key, None if envelope.key is None else str(envelope.label),
         tuple((item.id, item.title) for item in envelope.items))
        for envelope in envelopes))
    if prefill is not None:
        return BallotForm(formdata=None, **prefill)
    return BallotForm()


@lru_cache(maxsize=256)
def _ballot_form_class(kind: BallotKind, envelopes: tuple) -> type:
    """The form class of a ballot: built once per ballot layout (kind; envelopes with their projects) and process,
    as a module-level form would be: the fields are the same for every voter of an envelope."""

    class BallotForm(BaseBallotForm):
        pass

    valued = kind in (BallotKind.CUMULATIVE, BallotKind.MAJORITY_JUDGMENT)
    for field_name, key, label, items in envelopes:
        if valued:
            for item_id, title in items:
                setattr(BallotForm, f"{field_name}-{item_id}", StringField(title, filters=[strip_text]))
            continue
        heading = (_l("Projects for the whole city") if key is None
                   else _l("Projects for %(district)s", district=label))
        field = SelectMultipleField(heading, coerce=str, validate_choice=False,
                                    choices=choices((str(item_id), title) for item_id, title in items))
        setattr(BallotForm, field_name, field)
    return BallotForm


def submitted_choices(formdata, envelopes, kind) -> dict:
    """Envelope key -> what the voter chose there, read from the posted ballot (``request.form``, read as the
    ballot form's fields would: see ``ballot_form``): the ids of the ticked projects, or project id -> points or
    grade as typed, spaces around it dropped (see ``app.voting.services._entries``). Confirming a ballot needs no
    form object (only a ballot sent back with errors does)."""
    if BallotKind(kind) in (BallotKind.CUMULATIVE, BallotKind.MAJORITY_JUDGMENT):
        return {envelope.key: {item.id: strip_text(formdata.get(envelope.item_field(item)))
                               for item in envelope.items}
                for envelope in envelopes}
    return {envelope.key: formdata.getlist(envelope.field_name)[:200] for envelope in envelopes}


def prefilled(envelopes, kind, values_by_envelope: dict) -> dict:
    """Form field name -> value for ``ballot_form(prefill=...)`` from envelope key -> {item id: stored value}."""
    prefill = {}
    for envelope in envelopes:
        values = values_by_envelope.get(envelope.key) or {}
        if BallotKind(kind) in (BallotKind.CUMULATIVE, BallotKind.MAJORITY_JUDGMENT):
            prefill.update({envelope.item_field(item): str(values[item.id]) for item in envelope.items
                            if item.id in values})
        else:
            prefill[envelope.field_name] = [str(item_id) for item_id in values]
    return prefill


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
        validators=[Optional(),
                    NumberRange(min=0, max=1000, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("0 lets a voter leave an envelope blank. For a points ballot: the projects given points. "
                       "Not used by majority judgment."),
        render_kw={"inputmode": "numeric"})
    max_choices = IntegerField(
        _l("Maximum number of projects per envelope"),
        validators=[Optional(),
                    NumberRange(min=1, max=1000, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("Required for an approval ballot (Lille asks for up to 5). For a budget or points ballot, "
                       "leave it empty for no limit."),
        render_kw={"inputmode": "numeric"})
    min_share_percent = IntegerField(
        _l("Minimum share of the envelope to spend (%)"),
        validators=[Optional(),
                    NumberRange(min=0, max=100, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("Budget ballots only: the chosen projects must cost at least this share of the envelope. "
                       "Leave empty for no minimum."),
        render_kw={"inputmode": "numeric"})
    points_total = IntegerField(
        _l("Points per envelope"),
        validators=[Optional(),
                    NumberRange(min=1, max=1000, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("Points ballots only: the points each voter spreads among the projects of an envelope."),
        render_kw={"inputmode": "numeric"})
    points_per_project = IntegerField(
        _l("Most points on one project"),
        validators=[Optional(),
                    NumberRange(min=1, max=1000, message=_l("Please enter a number between %(min)s and %(max)s."))],
        description=_l("Points ballots only: the most points one project may receive from one voter."),
        render_kw={"inputmode": "numeric"})
    other_district = BooleanField(
        _l("Voters may also vote in one other district of their choice"),
        description=_l("Besides the whole city and their own district. Leave unticked to keep each voter to their "
                       "own district."))
    counting_rule = SelectField(
        _l("Counting rule"), validate_choice=False,  # checked against the kind of ballot by the service
        description=_l("How the ballots will be counted, announced before the vote. The rule must suit the kind of "
                       "ballot; equal shares work with every kind."))
    submit = SubmitField(_l("Save the ballot rules"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _kind_choices()
        self.counting_rule.choices = _counting_rule_choices()

