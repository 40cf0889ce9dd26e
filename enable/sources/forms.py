"""Forms of the sources pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField
from wtforms.validators import DataRequired


class AssignRepForm(FlaskForm):
    """Give a call that arrived without a known rep its rep."""

    rep = SelectField(_l("Rep"), coerce=int, validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))
