import functools
from collections.abc import Callable

from flask import Blueprint, current_app, flash, has_request_context, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload

from app.accounts import services
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegistrationForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from app.accounts.models import User
from app.core.errors import ServiceError
from app.core.i18n import LOCALE_COOKIE, remember_locale
from app.core.security import safe_next
from app.core.views import remember_unread, unread_of
from app.cycles.models import District
from app.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__, url_prefix="/account", template_folder="templates")


def auth_limit() -> str:
    return current_app.config["AUTH_RATE_LIMIT"]


_rate_limited = limiter.limit(auth_limit, methods=["POST"])

_LINKS = {
    "confirm": "accounts.confirm",
    "reset": "accounts.reset_password",
    "login": "accounts.login",
    "forgot": "accounts.forgot_password",
}


def link_for(kind: str, token: str | None) -> str:
    if token is None:
        return url_for(_LINKS[kind], _external=True)
    return url_for(_LINKS[kind], token=token, _external=True)


@functools.cache
def signed_in():
    """Every request of a signed-in user starts with this statement: built once (building a statement and its cache
    key costs more than running it; ``Session.get`` builds one each time), without joining the district (loaded
    where a page uses it), with the user's count of unread notifications that every page's header shows (one
    statement less per page)."""
    return (select(User, unread_of(User.id).scalar_subquery())
            .where(User.id == bindparam("user_id")).options(lazyload(User.district)))


# A page that reads more about the signed-in user at every request can read it in the loader's own statement, one
# round trip fewer: ``read_with_user(endpoint)`` registers, for that endpoint, a function of the user's id that
# returns None (the plain statement) or ``(statement, parameters, keep)``: ``signed_in()`` extended (the user and
# the unread count stay its first two columns), its other bound parameters, and what to do with the row read.
_READ_WITH_USER: dict[str, Callable] = {}


def read_with_user(*endpoints: str):
    def register(plan: Callable) -> Callable:
        for endpoint in endpoints:
            _READ_WITH_USER[endpoint] = plan
        return plan
    return register


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    plan = _READ_WITH_USER.get(request.endpoint) if has_request_context() else None
    statement, parameters, keep = (plan and plan(int(user_id))) or (signed_in(), {}, None)
    row = db.session.execute(statement, {"user_id": int(user_id), **parameters}).first()
    if row is None or row[0].session_token != token:
        return None
    remember_unread(row[1])
    if keep is not None:
        keep(row)
    return row[0]


def _districts(field):
    return field.fill(db.session, District, order_by=District.name)


@bp.route("/register", methods=["GET", "POST"])
@_rate_limited
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegistrationForm()
    _districts(form.district)
    if not form.is_submitted():
        form.locale.data = request.cookies.get(LOCALE_COOKIE) or current_app.config["BABEL_DEFAULT_LOCALE"]
    if form.validate_on_submit():
        services.register(form.email.data, form.password.data, form.display_name.data, form.locale.data,
                          form.district.row, link_for)
        db.session.commit()
        return redirect(url_for("accounts.check_email"))
    return render_template("accounts/register.html", form=form), 200 if not form.errors else 422


@bp.route("/check-email")
def check_email():
    return render_template("accounts/check_email.html")


@bp.route("/confirm/<token>")
def confirm(token: str):
    try:
        user = services.confirm_email(token[:200])
    except ServiceError as error:
        db.session.rollback()
        return render_template("accounts/link_problem.html", message=error.message), 400
    db.session.commit()
    flash(_("Thank you, your email address is confirmed."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("accounts.profile"))
    return redirect(url_for("accounts.login"))


@bp.route("/resend-confirmation", methods=["POST"])
@login_required
@_rate_limited
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit() and not current_user.email_confirmed:
        services.send_confirmation(current_user, link_for)
        db.session.commit()
        flash(_("We have sent you a new confirmation email."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/login", methods=["GET", "POST"])
@_rate_limited
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(url_for("core.home")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.display_name), "success")
            return remember_locale(redirect(safe_next(url_for("core.home"))), user.locale)
        form.password.errors.append(_("The email address or the password is not correct."))
        status = 422
    elif form.errors:
        status = 422
    return render_template("accounts/login.html", form=form, next=safe_next("")), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are signed out. See you soon!"), "success")
    return redirect(url_for("core.home"))


@bp.route("/forgot", methods=["GET", "POST"])
@_rate_limited
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data, link_for)
        db.session.commit()
        return render_template("accounts/forgot_sent.html")
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@_rate_limited
def reset_password(token: str):
    token = token[:200]
    try:
        services.check_reset_token(token)
    except ServiceError as error:
        return render_template("accounts/link_problem.html", message=error.message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ServiceError as error:
            db.session.rollback()
            return render_template("accounts/link_problem.html", message=error.message), 400
        db.session.commit()
        logout_user()
        flash(_("Your password has been changed. You can now sign in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 422 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except ServiceError as error:
            db.session.rollback()
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session: its id has the new token
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    _districts(form.district)
    if not form.is_submitted():
        form.district.data = current_user.district_id or 0
    if form.validate_on_submit():
        services.update_profile(current_user, form.display_name.data, form.locale.data, form.district.row)
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return remember_locale(redirect(url_for("accounts.profile")), current_user.locale)
    return render_template("accounts/profile.html", form=form, resend=ResendConfirmationForm()), (
        422 if form.errors else 200
    )
