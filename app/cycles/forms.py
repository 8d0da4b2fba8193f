"""Forms of the budget cycles feature: cycles (with envelopes and phases), early phase changes, districts, themes."""

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.fields import ColorField, DateTimeLocalField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, StopValidation

from app.core.clock import as_utc, city_tz
from app.core.forms import AmountRequired, EurosField
from app.core.forms import strip_text as _strip
from app.cycles.models import PhaseKind
from app.cycles.services import (
    COLOUR_RE,
    MAX_REASON,
    PHASE_LABELS,
    CycleValues,
    EnvelopeValue,
    budget_problems,
    complete_phase_dates,
    phase_problems,
    slug_problem,
)

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]



def _slug_filter(value):
    return value.strip().lower() if isinstance(value, str) else value


def _check_slug(form, field):
    problem = slug_problem(field.data or "")
    if problem:
        raise StopValidation(problem)


def _local_datetime(label, validators=()):
    return DateTimeLocalField(label, validators=list(validators), format=DATETIME_FORMATS, tz=city_tz,
                              invalid_value_message=_l("Please enter a date and a time."))


class CycleForm(FlaskForm):
    """A budget cycle. Use ``cycle_form(districts)``: it adds one envelope per district."""

    slug = StringField(
        _l("Web address"),
        validators=[DataRequired(message=_l("Please give a short name for the web address.")),
                    Length(min=3, max=80, message=_l("Between %(min)d and %(max)d characters.")), _check_slug],
        filters=[_slug_filter],
        description=_l("Used in the page address /budgets/…: lower-case letters, digits and hyphens."),
    )
    title_fr = StringField(_l("Title in French"),
                           validators=[DataRequired(message=_l("Please give a title in French.")),
                                       Length(max=200, message=_l("At most %(max)d characters."))],
                           filters=[_strip])
    title_en = StringField(_l("Title in English (recommended)"),
                           validators=[Length(max=200, message=_l("At most %(max)d characters."))], filters=[_strip])
    title_nl = StringField(_l("Title in Dutch (optional)"),
                           validators=[Length(max=200, message=_l("At most %(max)d characters."))], filters=[_strip])
    description_fr = TextAreaField(_l("Description in French"),
                                   validators=[Length(max=20000, message=_l("At most %(max)d characters."))],
                                   description=_l("Markdown: **bold**, *italics*, lists and links."))
    description_en = TextAreaField(_l("Description in English (recommended)"),
                                   validators=[Length(max=20000, message=_l("At most %(max)d characters."))])
    description_nl = TextAreaField(_l("Description in Dutch (optional)"),
                                   validators=[Length(max=20000, message=_l("At most %(max)d characters."))])
    total_budget = EurosField(_l("Total budget in euros"),
                              validators=[AmountRequired(_l("Please give the total budget."))],
                              description=_l("For example 1 500 000 or 1500000,50."))
    citywide_envelope = EurosField(_l("City-wide envelope in euros (optional)"),
                                   description=_l("For projects that concern the whole city. Leave empty if none."))
    support_threshold = IntegerField(
        _l("Supports needed to go to review"),
        validators=[InputRequired(message=_l("Please give a number (0 for no threshold).")),
                    NumberRange(min=0, max=1_000_000, message=_l("Please give a number between %(min)s and %(max)s."))],
        default=0,
        description=_l("0: every proposal goes to review."),
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Save the cycle"))

    districts: list = []

    def phase_fields(self):
        """(kind, start field, end field or None) for each phase, in order."""
        return [(kind, self[f"{kind.value}_starts"], self._fields.get(f"{kind.value}_ends")) for kind in PhaseKind]

    def envelope_fields(self):
        """(district, amount field, voting field) for each district."""
        return [(d, self[f"envelope_{d.id}"], self[f"voting_{d.id}"]) for d in self.districts]

    def phase_dates(self) -> dict:
        return {kind: (start.data, end.data if end is not None else None) for kind, start, end in self.phase_fields()}

    def envelope_values(self) -> list[EnvelopeValue]:
        return [EnvelopeValue(district, amount.data, bool(voting.data))
                for district, amount, voting in self.envelope_fields() if amount.data is not None]

    def values(self) -> CycleValues:
        return CycleValues(
            slug=self.slug.data, title_fr=self.title_fr.data, title_en=self.title_en.data or "",
            title_nl=self.title_nl.data or "", description_fr=self.description_fr.data or "",
            description_en=self.description_en.data or "", description_nl=self.description_nl.data or "",
            total_budget_cents=self.total_budget.data, citywide_envelope_cents=self.citywide_envelope.data,
            support_threshold=self.support_threshold.data, phases=self.phase_dates(),
            envelopes=self.envelope_values(),
        )

    def fill_from(self, cycle) -> None:
        """Show a saved cycle's values (on a GET)."""
        for name in ("slug", "title_fr", "title_en", "title_nl", "description_fr", "description_en",
                     "description_nl", "support_threshold"):
            self[name].data = getattr(cycle, name)
        self.total_budget.data = cycle.total_budget_cents
        self.citywide_envelope.data = cycle.citywide_envelope_cents
        envelopes = {e.district_id: e for e in cycle.envelopes}
        for district, amount, voting in self.envelope_fields():
            envelope = envelopes.get(district.id)
            amount.data = envelope.amount_cents if envelope else None
            voting.data = envelope.has_voting if envelope else True
        rows = {PhaseKind(p.kind): p for p in cycle.phases}
        for kind, start, end in self.phase_fields():
            row = rows.get(kind)
            if row is not None:
                start.data = as_utc(row.starts_at)
                if end is not None:
                    end.data = as_utc(row.ends_at) if row.ends_at else None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        date_fields = [f for _kind, start, end in self.phase_fields() for f in (start, end) if f is not None]
        if not any(f.errors for f in date_fields):
            for name, message in phase_problems(complete_phase_dates(self.phase_dates())):
                self[name].errors.append(message)
                valid = False
        amounts = [self.total_budget, self.citywide_envelope] + [a for _d, a, _v in self.envelope_fields()]
        if not any(f.errors for f in amounts):
            for name, message in budget_problems(self.total_budget.data, self.citywide_envelope.data,
                                                 [e.amount_cents for e in self.envelope_values()]):
                self[name].errors.append(message)
                valid = False
        return valid


for _kind in PhaseKind:
    setattr(CycleForm, f"{_kind.value}_starts",
            _local_datetime(_l("%(phase)s: start", phase=PHASE_LABELS[_kind]),
                            [InputRequired(message=_l("Please give the start of this phase."))]))
    if _kind != PhaseKind.CLOSED:
        setattr(CycleForm, f"{_kind.value}_ends",
                _local_datetime(_l("%(phase)s: end", phase=PHASE_LABELS[_kind]), [Optional()]))


def cycle_form(districts, **kwargs) -> CycleForm:
    """A cycle form with an envelope amount and a voting switch for each district."""
    fields = {"districts": list(districts)}
    for district in districts:
        fields[f"envelope_{district.id}"] = EurosField(_l("Envelope for %(district)s", district=district.name))
        fields[f"voting_{district.id}"] = BooleanField(_l("Vote in %(district)s", district=district.name),
                                                       default=True)
    form_class = type("DistrictCycleForm", (CycleForm,), fields)
    return form_class(**kwargs)


def _reason_field():
    return TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Please give the reason: it is kept in the audit log.")),
                    Length(max=MAX_REASON, message=_l("At most %(max)d characters."))],
        filters=[_strip],
        description=_l("Kept in the audit log."),
        render_kw={"rows": 3},
    )


class ClosePhaseForm(FlaskForm):
    reason = _reason_field()
    submit = SubmitField(_l("Close this phase now"))


class ExtendPhaseForm(FlaskForm):
    ends_at = _local_datetime(_l("New end"), [InputRequired(message=_l("Please give the new end."))])
    reason = _reason_field()
    submit = SubmitField(_l("Extend this phase"))


class DistrictForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please give the name of the district.")),
                                              Length(max=120, message=_l("At most %(max)d characters."))],
                       filters=[_strip])
    slug = StringField(_l("Short name"),
                       validators=[DataRequired(message=_l("Please give a short name.")),
                                   Length(max=60, message=_l("At most %(max)d characters.")), _check_slug],
                       filters=[_slug_filter],
                       description=_l("Lower-case letters, digits and hyphens, for example “vieux-lille”."))
    submit = SubmitField(_l("Save"))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete"))


def _check_icon(form, field):
    value = field.data or ""
    if not value:
        return
    pictographs = [c for c in value if unicodedata.category(c) == "So"]
    allowed = all(c in "\u200d\ufe0f" or (ord(c) > 0x7F and unicodedata.category(c)[0] in "SM") for c in value)
    if len(value) > 8 or not pictographs or not allowed:
        raise StopValidation(_l("The icon must be a single emoji."))


def _check_colour(form, field):
    if not COLOUR_RE.match(field.data or ""):
        raise StopValidation(_l("Please give a colour such as #1d4ed8."))


class CategoryForm(FlaskForm):
    slug = DistrictForm.slug
    name_fr = StringField(_l("Name in French"),
                          validators=[DataRequired(message=_l("Please give the name in French.")),
                                      Length(max=80, message=_l("At most %(max)d characters."))], filters=[_strip])
    name_en = StringField(_l("Name in English (recommended)"),
                          validators=[Length(max=80, message=_l("At most %(max)d characters."))], filters=[_strip])
    name_nl = StringField(_l("Name in Dutch (optional)"),
                          validators=[Length(max=80, message=_l("At most %(max)d characters."))], filters=[_strip])
    icon = StringField(_l("Icon (optional)"), validators=[_check_icon], filters=[_strip],
                       description=_l("One emoji, for example 🌳."))
    colour = ColorField(_l("Colour"), validators=[DataRequired(message=_l("Please give a colour such as #1d4ed8.")),
                                                 _check_colour],
                        filters=[_slug_filter], default="#1d4ed8")
    submit = SubmitField(_l("Save"))
