"""The form for creating a personal API token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from enable.api.tokens import NAME_MAX, SCOPE_LABELS, TokenScope


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=NAME_MAX)],
                       description=_l("What the token is for, e.g. “CRM sidebar”."))
    scope = RadioField(_l("Access"), choices=[(s.value, SCOPE_LABELS[s]) for s in TokenScope],
                       default=TokenScope.READ.value, validators=[DataRequired()])
    submit = SubmitField(_l("Create token"))
