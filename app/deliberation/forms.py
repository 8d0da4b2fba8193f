from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from app.core.forms import choices
from app.deliberation.models import Stance
from app.deliberation.services import BODY_MAX, BODY_MIN, SORTS, STANCE_LABELS

STANCE_VALUES = [s.value for s in Stance]
_STANCE_MESSAGE = _l("Please say whether you are for, against or neutral.")


def _clean(value):
    """Browsers send line ends as CR LF: count and store them as one character."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip() if isinstance(value, str) else value


def _body_field(label):
    return TextAreaField(
        label,
        validators=[
            InputRequired(message=_l("Please write your comment.")),
            Length(min=BODY_MIN, max=BODY_MAX,
                   message=_l("A comment must have between %(min)d and %(max)d characters.")),
        ],
        description=_l("Up to %(max)d characters. You can use **bold**, *italics*, links, lists and “>” quotes. "
                       "Mention another proposal by its number, for example #12.", max=BODY_MAX),
        filters=[_clean],
        render_kw={"rows": 5},
    )


def _stance_field():
    return RadioField(
        _l("Your opinion on this proposal"),
        choices=choices((s.value, label) for s, label in STANCE_LABELS.items()),
        validators=[InputRequired(message=_STANCE_MESSAGE), AnyOf(STANCE_VALUES, message=_STANCE_MESSAGE)],
        validate_choice=False,
    )


class CommentForm(FlaskForm):
    body = _body_field(_l("Your comment"))
    stance = _stance_field()
    official = BooleanField(_l("Publish as the city’s answer (highlighted and pinned at the top)"))
    parent_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    cycle_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Publish my comment"))


class EditCommentForm(FlaskForm):
    body = _body_field(_l("Your comment"))
    stance = _stance_field()
    submit = SubmitField(_l("Save my changes"))


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


class ThreadFilterForm(FlaskForm):
    """How a reader shows the thread (GET parameters of the proposal page; no CSRF, bad values fall back)."""

    class Meta:
        csrf = False

    stance = SelectField(_l("Show"), choices=choices([
        ("", _l("All opinions")),
        (Stance.FOR.value, _l("Comments for")),
        (Stance.AGAINST.value, _l("Comments against")),
        (Stance.NEUTRAL.value, _l("Neutral comments")),
    ]), validators=[Optional(), AnyOf(STANCE_VALUES)])
    sort = SelectField(_l("Order"), choices=choices(SORTS.items()), validators=[AnyOf(list(SORTS))])
