"""Flask extensions, created unbound and attached to the application in ``create_app``."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
cache = Cache()  # short-lived figures (the staff desk); SimpleCache per process, RedisCache to share
limiter = Limiter(key_func=get_remote_address, default_limits=[])
