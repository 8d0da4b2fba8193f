from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from app.accounts.forms import PASSWORD_MAX
from app.core.forms import choices, strip_text

_ANSWER = _l("Please choose an answer.")


class ShowNameForm(FlaskForm):
    """Nothing is selected until the resident has chosen once."""

    answer = RadioField(_l("On public pages, show"),
                        choices=choices([("name", _l("my name")), ("pseudonym", _l("a pseudonym"))]),
                        validators=[InputRequired(message=_ANSWER)])
    pseudonym = StringField(_l("Pseudonym (optional)"), filters=[strip_text],
                            validators=[Length(max=40, message=_l("At most %(max)d characters."))],
                            description=_l("Leave it empty and we will make one up for you, such as “Tilia-4821”."))
    submit = SubmitField(_l("Save this choice"))


class ConsentForm(FlaskForm):
    answer = RadioField(_l("Your answer"), choices=choices([("yes", _l("Yes")), ("no", _l("No"))]),
                        validators=[InputRequired(message=_ANSWER)])
    submit = SubmitField(_l("Save this choice"))


class DownloadForm(FlaskForm):
    submit = SubmitField(_l("Prepare my download link"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), render_kw={"autocomplete": "current-password"},
                             validators=[DataRequired(message=_l("Please enter your password.")),
                                         Length(max=PASSWORD_MAX)])
    remove_content = BooleanField(_l("Also remove my comments, and withdraw my proposals not yet reviewed"),
                                  description=_l("Otherwise they stay, signed “former participant”."))
    confirm = BooleanField(_l("I understand that my account will be deleted for good"),
                           validators=[DataRequired(message=_l("Please tick this box to confirm."))])
    submit = SubmitField(_l("Delete my account"))
