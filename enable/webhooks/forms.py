"""The endpoint form: address, events, description, active flag and an optional secret of the admin's choice."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from enable import events

EVENT_LABELS = {
    events.CALL_TRANSCRIBED: _l("A call was transcribed and its bites are searchable"),
    events.CALL_FAILED: _l("A call could not be processed"),
    events.BITE_CREATED: _l("A new bite was cut from a call"),
    events.BITE_REMOVED: _l("Reprocessing a call removed one of its bites"),
    events.CONTENT_STALE: _l("A playbook, asset or bite is due for review"),
    events.LINK_BROKEN: _l("A link in a playbook or asset broke"),
    events.CERTIFICATION_AWARDED: _l("Someone earned a certification"),
    events.CERTIFICATION_EXPIRED: _l("Someone's certification expired"),
}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField(_l("Receiver URL"), validators=[DataRequired(), Length(max=2000)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    events = CheckboxesField(_l("Events"), choices=[],
                             validators=[DataRequired(message=_l("Choose at least one event."))])
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Described in the reader's language: built per request (a label made at import stayed in English).
        self.events.choices = [(name, f"{name}: {EVENT_LABELS[name]}") for name in events.EVENTS]


class NewEndpointForm(EndpointForm):
    secret = PasswordField(_l("Signing secret (leave empty to generate one)"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Add endpoint"))
