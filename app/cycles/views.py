from flask import Blueprint

bp = Blueprint("cycles", __name__, template_folder="templates")
