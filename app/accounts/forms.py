from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.core.forms import ModelSelectField, language_choices
from app.core.forms import strip_text as _strip

PASSWORD_MIN = 10
PASSWORD_MAX = 128


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=PASSWORD_MIN, max=PASSWORD_MAX,
                   message=_l("The password must have between %(min)d and %(max)d characters.")),
        ],
        description=_l("At least %(min)d characters. A short sentence is easy to remember and hard to guess.",
                       min=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password"},
    )



def _email_field():
    return EmailField(
        _l("Email address"),
        validators=[
            DataRequired(message=_l("Please enter your email address.")),
            Length(max=254, message=_l("This email address is too long.")),
            Email(message=_l("This email address is not valid."), check_deliverability=False),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email"},
    )


class RegistrationForm(FlaskForm):
    email = _email_field()
    display_name = StringField(
        _l("Name shown publicly"),
        validators=[
            DataRequired(message=_l("Please enter the name others will see.")),
            Length(min=2, max=80, message=_l("The name must have between %(min)d and %(max)d characters.")),
        ],
        description=_l("Your first name, a nickname or initials: it appears next to what you write."),
        filters=[_strip],
        render_kw={"autocomplete": "nickname"},
    )
    password = _password_field(_l("Password"))
    password_again = PasswordField(
        _l("Password again"),
        validators=[DataRequired(message=_l("Please type the password a second time.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    locale = SelectField(_l("Preferred language"), choices=language_choices(),
                         validators=[DataRequired(message=_l("Please choose a language."))])
    district = ModelSelectField(_l("Your district (optional)"), empty_label=_l("I prefer not to say"),
                                description=_l("Helps us show you what is happening near you."))
    submit = SubmitField(_l("Create my account"))

    def validate_password(self, field):
        if self.email.data and field.data and field.data.strip().lower() == self.email.data.strip().lower():
            raise ValidationError(_l("The password must not be your email address."))


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Please enter your password.")),
                                                        Length(max=PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Stay signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class ForgotPasswordForm(FlaskForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a link"))


class ResendConfirmationForm(FlaskForm):
    submit = SubmitField(_l("Send the confirmation email again"))


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    password_again = PasswordField(
        _l("New password again"),
        validators=[DataRequired(message=_l("Please type the password a second time.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save my new password"))


class ChangePasswordForm(ResetPasswordForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(message=_l("Please enter your current password.")),
                                                 Length(max=PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Change my password"))


class ProfileForm(FlaskForm):
    display_name = RegistrationForm.display_name
    locale = RegistrationForm.locale
    district = ModelSelectField(_l("Your district (optional)"), empty_label=_l("I prefer not to say"))
    submit = SubmitField(_l("Save"))
