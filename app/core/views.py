from pathlib import Path

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import bindparam, func, select, update

from app.core.clock import utcnow
from app.core.i18n import remember_locale
from app.core.models import Notification
from app.core.security import safe_next
from app.extensions import db

bp = Blueprint("core", __name__)

# Front-end libraries installed by `make assets` from registry packages, served from our own origin.
VENDOR_FILES = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
}


@bp.route("/")
def home():
    from app.cycles.services import open_cycles

    return render_template("core/home.html", open_cycles=open_cycles())


@bp.route("/about")
def about():
    return render_template("core/about.html")


@bp.route("/language", methods=["POST"])
def set_language():
    locale = request.form.get("locale", "")
    if locale not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    return remember_locale(redirect(safe_next(url_for("core.home"))), locale)


@bp.route("/vendor/<path:name>")
def vendor(name: str):
    if name not in VENDOR_FILES:
        abort(404)
    root = Path(current_app.root_path).parent / "node_modules"
    return send_from_directory(root, VENDOR_FILES[name], max_age=7 * 24 * 3600)


def unread_of(user_id):
    """How many unread notifications the user ``user_id`` (a value, a bound parameter or a column) has."""
    return (select(func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


# Built once (building a statement costs more than running this one).
_UNREAD = unread_of(bindparam("user_id"))


def unread_notifications() -> int:
    """How many unread notifications the signed-in user has, once per request: read with the user at the start of
    the request (``remember_unread``, from the user loader), else by one small query."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = db.session.scalar(_UNREAD, {"user_id": current_user.id})
    return g.unread_notifications


def remember_unread(count: int) -> None:
    g.unread_notifications = count


@bp.app_context_processor
def unread_count():
    return {"unread_notifications": unread_notifications()}


@bp.route("/notifications")
@login_required
def notifications():
    items = db.session.scalars(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc()).limit(100)
    ).all()
    return render_template("core/notifications.html", items=items, form=FlaskForm())


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_notifications_read():
    if not FlaskForm().validate_on_submit():
        abort(400)
    db.session.execute(
        update(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("core.notifications"))


@bp.route("/healthz")
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
