from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_from_directory, url_for
from flask_login import current_user

from app.core.i18n import remember_locale
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


@bp.route("/healthz")
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}
