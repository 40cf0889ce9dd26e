"""Forms for playbooks, assets and governance; every form carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from enable.playbooks.models import ASSET_KIND_LABELS


class PlaybookForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    stage = SelectField(_l("Stage"), choices=[], validate_choice=False)
    language = SelectField(_l("Language"), choices=[])  # the interface languages (enable.i18n.language_choices)
    body = TextAreaField(_l("Playbook (Markdown)"), validators=[Length(max=200_000)])
    note = StringField(_l("What changed"), validators=[Optional(), Length(max=300)])
    requires_ack = BooleanField(_l("People certified on this playbook must acknowledge this change"))
    submit = SubmitField(_l("Save"))


class AssetForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in ASSET_KIND_LABELS.items()])
    url = StringField(_l("Link"), validators=[Optional(), Length(max=2000)])
    file = FileField(_l("Or a file"))
    description = TextAreaField(_l("Description (Markdown)"), validators=[Length(max=20_000)])
    tags = SelectMultipleField(_l("Tags"), choices=[], coerce=int, validate_choice=False)
    submit = SubmitField(_l("Save"))


class SettingsForm(FlaskForm):
    owner = SelectField(_l("Owner"), choices=[], validate_choice=False)
    verifier = SelectField(_l("Verifier"), choices=[], validate_choice=False)
    review_interval_days = IntegerField(_l("Review every (days)"),
                                        validators=[Optional(), NumberRange(min=1, max=3650)])
    submit = SubmitField(_l("Save"))


class RetireForm(FlaskForm):
    remove_links = BooleanField(_l("Remove every link to it (the link text stays)"))
    submit = SubmitField(_l("Retire"))
