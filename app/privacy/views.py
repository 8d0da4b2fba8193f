"""Privacy pages: a resident's choices, the download of their data, the deletion of their account, and the public
page that says what is stored, why, for how long and who sees it."""

import json

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import _
from flask_login import current_user, login_required, logout_user

from app.core.errors import NotAllowed, ServiceError
from app.core.permissions import require
from app.extensions import db, limiter
from app.privacy import services
from app.privacy.forms import ConsentForm, DeleteAccountForm, DownloadForm, ShowNameForm
from app.privacy.models import ConsentKind
from app.privacy.permissions import can

bp = Blueprint("privacy", __name__, template_folder="templates")


def privacy_limit() -> str:
    return current_app.config["PRIVACY_RATE_LIMIT"]


_rate_limited = limiter.limit(privacy_limit, methods=["POST"])


def _forms(current: dict, posted: ConsentKind | None = None) -> dict:
    """One small form per choice, each answered on its own; nothing selected until the resident has chosen.
    ``posted``: the choice just sent, whose form keeps what was sent; the others show the current answers."""
    forms = {}
    for kind in ConsentKind:
        form = ShowNameForm(prefix=kind.value) if kind == ConsentKind.SHOW_NAME else ConsentForm(prefix=kind.value)
        record = current.get(kind)
        if record is not None and kind != posted:
            if kind == ConsentKind.SHOW_NAME:
                form.answer.data = "name" if record.granted else "pseudonym"
            else:
                form.answer.data = "yes" if record.granted else "no"
        forms[kind] = form
    return forms


def _settings_page(forms: dict, status: int = 200):
    current = services.current_choices(current_user)
    return render_template("privacy/settings.html", forms=forms, current=current, texts=services.choice_texts(),
                           versions=services.TEXT_VERSIONS, history=services.history(current_user),
                           kinds=list(ConsentKind)), status


@bp.route("/account/privacy")
@require(can, "manage_own")
def settings():
    return _settings_page(_forms(services.current_choices(current_user)))


@bp.route("/account/privacy/<kind>", methods=["POST"])
@require(can, "manage_own")
def choose(kind: str):
    try:
        chosen = ConsentKind(kind)
    except ValueError:
        abort(404)
    forms = _forms(services.current_choices(current_user), posted=chosen)
    form = forms[chosen]
    if not form.validate_on_submit():
        return _settings_page(forms, 422)
    if chosen == ConsentKind.SHOW_NAME:
        granted, pseudonym = form.answer.data == "name", form.pseudonym.data or ""
    else:
        granted, pseudonym = form.answer.data == "yes", ""
    try:
        services.set_choice(current_user, chosen, granted, pseudonym)
    except ServiceError as error:
        db.session.rollback()
        (getattr(form, error.field).errors if error.field else form.answer.errors).append(error.message)
        return _settings_page(forms, 422)
    db.session.commit()
    flash(_("Your choice has been saved. You can change it at any time."), "success")
    return redirect(url_for("privacy.settings") + f"#choice-{chosen.value}")


@bp.route("/account/privacy/data", methods=["GET", "POST"])
@require(can, "manage_own")
@_rate_limited
def my_data():
    form = DownloadForm()
    link = None
    if form.validate_on_submit():
        raw = services.prepare_download(current_user)
        db.session.commit()
        link = url_for("privacy.download", token=raw)
    return render_template("privacy/data.html", form=form, link=link,
                           minutes=current_app.config["DATA_EXPORT_LINK_MINUTES"])


@bp.route("/account/privacy/data/<token>")
@login_required
@limiter.limit(privacy_limit)
def download(token: str):
    try:
        archive = services.take_download(current_user, token[:200])
    except NotAllowed as error:
        db.session.rollback()
        return render_template("accounts/link_problem.html", message=error.message), 403
    except ServiceError as error:
        db.session.rollback()
        return render_template("accounts/link_problem.html", message=error.message), 400
    db.session.commit()
    body = json.dumps(archive, ensure_ascii=False, indent=2, sort_keys=False)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="my-data-budget-commun.json"',
        "Cache-Control": "no-store",
    })


@bp.route("/account/delete", methods=["GET", "POST"])
@require(can, "delete_own")
@_rate_limited
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.delete_account(current_user, form.password.data, remove_content=form.remove_content.data)
        except ServiceError as error:
            db.session.rollback()
            (getattr(form, error.field).errors if error.field else form.confirm.errors).append(error.message)
        else:
            db.session.commit()
            logout_user()
            flash(_("Your account has been deleted. Thank you for taking part."), "success")
            return redirect(url_for("core.home"))
    return render_template("privacy/delete.html", form=form), 422 if form.errors else 200


@bp.route("/privacy")
def policy():
    return render_template("privacy/policy.html", register=services.data_register())
