"""Forms for importing deals, mapping columns, linking calls and marking content used on a deal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from enable.deals.csv_import import FIELDS

FORMAT_CHOICES = [
    ("auto", _l("Recognise from the columns")),
    ("salesforce", _l("Salesforce opportunities")),
    ("hubspot", _l("HubSpot deals")),
    ("russian", _l("Bitrix24 / amoCRM (Russian columns)")),
    ("custom", _l("Other: I will map the columns")),
]
FIELD_LABELS = {
    "external_id": _l("Deal ID"), "name": _l("Deal name"), "account": _l("Account / company"),
    "amount": _l("Amount"), "currency": _l("Currency"), "stage": _l("Stage"), "won": _l("Won (yes/no)"),
    "closed": _l("Closed (yes/no)"), "close_on": _l("Close date"), "created_on": _l("Created date"),
    "owner": _l("Owner (email or name)"),
    "contacts": _l("Contacts' emails"),
}  # fmt: skip
OUTCOME_CHOICES = [("", _l("Any outcome")), ("won", _l("Won")), ("lost", _l("Lost")), ("open", _l("Open"))]


class ImportForm(FlaskForm):
    file = FileField(_l("CSV export"), validators=[
        FileRequired(_l("Choose the CSV file exported from your CRM.")),
        FileAllowed(["csv", "txt", "tsv"], _l("Upload a .csv file (Excel: File > Save As > CSV UTF-8)."))])
    format = SelectField(_l("Format"), choices=FORMAT_CHOICES, default="auto")
    submit = SubmitField(_l("Preview"))


class MappingForm(FlaskForm):
    """One select per deal field, offering the file's column names; fields are added per file."""

    submit = SubmitField(_l("Use these columns"))


def mapping_form(headers: list[str], chosen: dict[str, str], formdata=None) -> MappingForm:
    """A mapping form for a file with these headers, pre-filled with the chosen (or guessed) columns."""
    choices = [("", "—")] + [(h, h) for h in headers]

    class _Form(MappingForm):
        pass

    for f in FIELDS:
        label = FIELD_LABELS.get(f.name, f.label)
        validators = [DataRequired(_l("Choose the column that holds this field."))] if f.required else [Optional()]
        setattr(_Form, f"col_{f.name}", SelectField(label, choices=choices, default=chosen.get(f.name, ""),
                                                    validators=validators))
    return _Form(formdata=formdata)


def mapping_from(form: MappingForm) -> dict[str, str]:
    """field name -> header from a submitted mapping form."""
    return {f.name: value for f in FIELDS if (value := getattr(form, f"col_{f.name}").data)}


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Import these deals"))


class LinkCallForm(FlaskForm):
    call_id = SelectField(_l("Call"), choices=[], coerce=int, validate_choice=False,
                          validators=[DataRequired(_l("Choose a call."))])
    submit = SubmitField(_l("Link call"))


class MarkUsedForm(FlaskForm):
    """Posted by the deal page (item = "type:id") and by content pages (item_type and item_id)."""

    item_type = HiddenField()
    item_id = IntegerField(validators=[Optional()])
    item = SelectField(_l("Content"), choices=[], validate_choice=False, validators=[Optional()])
    deal_id = IntegerField(validators=[DataRequired()])
    next = HiddenField(validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Mark as used on this deal"))


class DealSearchForm(FlaskForm):
    """The deals list filters (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    outcome = SelectField(_l("Outcome"), choices=OUTCOME_CHOICES, default="", validators=[Optional()])
    owner = SelectField(_l("Owner"), choices=[], validate_choice=False, validators=[Optional()])
