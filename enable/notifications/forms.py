"""The email settings form: for each kind of notification, at once, in the daily digest, or off."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField

from enable.notifications.kinds import KINDS, MODE_LABELS, DeliveryMode


class EmailSettingsForm(FlaskForm):
    """One radio group per registered kind, named mode_<kind> (fields added below)."""

    submit = SubmitField(_l("Save email settings"))

    def kind_fields(self) -> list[Any]:
        return [getattr(self, f"mode_{kind.name}") for kind in KINDS]

    def modes(self) -> dict[str, str]:
        return {kind.name: getattr(self, f"mode_{kind.name}").data for kind in KINDS}


for _kind in KINDS:
    setattr(EmailSettingsForm, f"mode_{_kind.name}",
            RadioField(_kind.label, choices=[(m, MODE_LABELS[m]) for m in DeliveryMode.ALL], default=_kind.default))


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (for buttons that post)."""
