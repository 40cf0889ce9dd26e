"""Forms for uploading and editing calls."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from enable.request_args import DayInBounds, parse_id


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    if (parsed := parse_id(str(value))) is None:
        raise ValueError("not an id")  # WTForms shows it as an invalid choice
    return parsed


class CallDetailsForm(FlaskForm):
    """What the uploader says about a call; the view fills the choices."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    rep = SelectField(_l("Rep"), coerce=_optional_int, choices=[])
    deal = SelectField(_l("Deal"), coerce=_optional_int, choices=[])
    call_date = DateField(_l("Call date"), validators=[Optional(), DayInBounds()])
    stage = SelectField(_l("Stage"), choices=[])


class UploadForm(CallDetailsForm):
    files = MultipleFileField(_l("Recordings"))
    language = SelectField(_l("Language spoken"), choices=[])
    quality = SelectField(_l("Transcription"), choices=[], validate_choice=False)  # checked by check_details
    speakers = SelectField(_l("Speakers on the call"), choices=[], validate_choice=False)  # checked by check_details
    submit = SubmitField(_l("Upload"))


class EditCallForm(CallDetailsForm):
    submit = SubmitField(_l("Save"))
