"""Flask extensions, unbound; create_app calls init_app on each."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from enable.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

# Every model subclasses Model. At run time it is db.Model (Base plus Flask-SQLAlchemy's session binding);
# a type checker cannot follow an attribute made at run time, so it sees the declarative base it extends.
if TYPE_CHECKING:
    class Model(Base):
        __abstract__ = True
else:
    Model = db.Model
