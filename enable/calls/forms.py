"""Forms for uploading and editing calls."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from markupsafe import Markup
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional
from wtforms.widgets import Select, html_params

from enable.request_args import DayInBounds, parse_id


def _optional_int(value: object) -> int | None:
    if value in (None, "", "None"):
        return None
    if (parsed := parse_id(str(value))) is None:
        raise ValueError("not an id")  # WTForms shows it as an invalid choice
    return parsed


class GroupedSelect(Select):
    """A select whose choices are {group label: choices}: each group an <optgroup> with its label, except the
    group labelled "" whose options (such as "— no deal —") come first, outside any group."""

    def __call__(self, field, **kwargs):
        if not field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        # html_params and render_option escape every value; Markup("...").format escapes the rest.
        html = Markup("<select {}>").format(Markup(html_params(name=field.name, **kwargs)))  # noqa: S704
        for group, choices in field.iter_groups():
            options = Markup("").join(self.render_option(val, label, selected, **kw)
                                      for val, label, selected, kw in choices)
            if group:
                options = Markup("<optgroup label=\"{}\">{}</optgroup>").format(str(group), options)
            html += options
        return html + Markup("</select>")


class CallDetailsForm(FlaskForm):
    """What the uploader says about a call; the view fills the choices."""

    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    rep = SelectField(_l("Rep"), coerce=_optional_int, choices=[])
    deal = SelectField(_l("Deal"), coerce=_optional_int, choices=[], widget=GroupedSelect())
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
