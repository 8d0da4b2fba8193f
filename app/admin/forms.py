from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.models import Role
from app.core.forms import choices


def role_choices():
    from app.accounts.services import role_label

    return choices((role.value, role_label(role)) for role in Role)


class RoleForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    submit = SubmitField(_l("Change role"))


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=80)])
    actor = StringField(_l("Who (name or email)"), validators=[Optional(), Length(max=100)])
    target_type = StringField(_l("On what (type)"), validators=[Optional(), Length(max=40)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
