from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DecimalField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.core.forms import EurosField, ModelSelectField, choices
from app.core.forms import strip_text as _strip

TITLE_MAX = 150
BODY_MAX = 10_000


def location_fields() -> tuple:
    """Fresh address, latitude and longitude fields, for the map picker (``proposals/_location.html``).

    Unpack them where they belong in a form (``address, latitude, longitude = location_fields()``) so that they keep
    their place in the page's order and in the error summary; the form also inherits ``LocationFields``.
    """
    return (
        StringField(
            _l("Address or place (optional)"),
            validators=[Optional(), Length(max=200)],
            description=_l("For example: “Place de la République” or “12 rue Gambetta”."),
            filters=[_strip],
        ),
        DecimalField(
            _l("Latitude (optional)"),
            places=None,
            validators=[Optional(), NumberRange(min=-90, max=90, message=_l("Not a valid latitude."))],
            render_kw={"step": "any", "inputmode": "decimal"},
        ),
        DecimalField(
            _l("Longitude (optional)"),
            places=None,
            validators=[Optional(), NumberRange(min=-180, max=180, message=_l("Not a valid longitude."))],
            render_kw={"step": "any", "inputmode": "decimal"},
        ),
    )


class LocationFields:
    """The checks and values of the fields made by ``location_fields``."""

    def location_valid(self) -> bool:
        """Both coordinates or neither (call from ``validate``)."""
        if not self.latitude.errors and not self.longitude.errors and (
            (self.latitude.data is None) != (self.longitude.data is None)
        ):
            self.longitude.errors.append(_l("Give both latitude and longitude, or neither."))
            return False
        return True

    def location_values(self) -> dict:
        return {
            "address": self.address.data or "",
            "latitude": float(self.latitude.data) if self.latitude.data is not None else None,
            "longitude": float(self.longitude.data) if self.longitude.data is not None else None,
        }


class ProposalForm(LocationFields, FlaskForm):
    title = StringField(
        _l("Title of your idea"),
        validators=[
            DataRequired(message=_l("Please give your idea a title.")),
            Length(min=5, max=TITLE_MAX, message=_l("The title must have between %(min)d and %(max)d characters.")),
        ],
        description=_l("Short and concrete, for example: “A covered bicycle shelter at Wazemmes market”."),
        filters=[_strip],
    )
    body = TextAreaField(
        _l("Describe your idea"),
        validators=[
            DataRequired(message=_l("Please describe your idea.")),
            Length(
                min=20, max=BODY_MAX, message=_l("The description must have between %(min)d and %(max)d characters.")
            ),
        ],
        description=_l(
            "What is the problem, what do you propose, who will it help? You can use **bold**, *italics* and lists."
        ),
        render_kw={"rows": 10},
    )
    category = ModelSelectField(
        _l("Theme"), validators=[DataRequired(message=_l("Please choose a theme."))], empty_label=_l("Choose a theme")
    )
    district = ModelSelectField(
        _l("District"),
        empty_label=_l("The whole city"),
        description=_l("Where would the project be? Choose “The whole city” if it concerns everyone."),
    )
    address, latitude, longitude = location_fields()
    estimated_cost = EurosField(
        _l("Your estimate of the cost, in euros (optional)"),
        validators=[Optional()],
        description=_l("Just a guess: the city's services will estimate the real cost."),
    )
    images = MultipleFileField(
        _l("Photos or drawings (optional, up to 3)"),
        description=_l("JPEG, PNG or WebP, 5 MB at most each. Avoid photos where people can be recognised."),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
    images_alt = StringField(
        _l("Describe the photos in a few words"),
        validators=[Optional(), Length(max=200)],
        description=_l("For people who cannot see them."),
        filters=[_strip],
    )
    save_draft = SubmitField(_l("Save as draft"))
    submit = SubmitField(_l("Submit my proposal"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return self.location_valid() and valid

    def values(self) -> dict:
        return {
            "title": self.title.data,
            "body": self.body.data,
            "category": self.category.row,
            "district": self.district.row,
            **self.location_values(),
            "estimated_cost_cents": self.estimated_cost.data,
        }


class ActionForm(FlaskForm):
    """A bare form for one-button actions (support, follow, withdraw): CSRF only."""


class FollowForm(FlaskForm):
    by_email = BooleanField(_l("Also tell me by email"))
    submit = SubmitField(_l("Follow"))


SORTS = ("newest", "supported", "random")


class ListingForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)], filters=[_strip])
    cycle = SelectField(_l("Budget"), validate_choice=True)
    district = SelectField(_l("District"), validate_choice=True)
    category = SelectField(_l("Theme"), validate_choice=True)
    status = SelectField(_l("Status"), validate_choice=True)
    sort = SelectField(
        _l("Order"),
        choices=choices(
            [("newest", _l("Newest first")), ("supported", _l("Most supported")), ("random", _l("Random order"))]
        ),
        validate_choice=True,
    )
