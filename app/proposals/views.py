from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/proposals", template_folder="templates")
