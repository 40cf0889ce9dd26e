"""Forms for signing in and managing users."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from enable.auth.models import ROLE_LABELS, Role
from enable.auth.passwords import MIN_PASSWORD_LENGTH
from enable.i18n import language_label

_PASSWORD_RULE = Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("A password needs at least %(min)d characters."))

def locale_choices() -> list[tuple[str, str]]:
    """The interface languages, named in the reader's language with their own names beside (made per request)."""
    return [("", str(_l("Browser language"))), *((code, language_label(code)) for code in ("en", "ru"))]


class _LocaleChoices:
    """Fills the `locale` choices when the form is made (a list made at import would stay in one language)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = locale_choices()  # type: ignore[attr-defined]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class UserForm(_LocaleChoices, FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    new_team = StringField(_l("Or a new team"), validators=[Optional(), Length(max=120)])
    hired_on = DateField(_l("Hire date"), validators=[Optional()])
    locale = SelectField(_l("Interface language"), choices=[])
    is_active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), _PASSWORD_RULE])
    submit = SubmitField(_l("Save"))


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), _PASSWORD_RULE])
    submit = SubmitField(_l("Set password"))


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=120)])
    manager = SelectField(_l("Manager"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Save"))


class SettingsForm(_LocaleChoices, FlaskForm):
    locale = SelectField(_l("Interface language"), choices=[])
    submit = SubmitField(_l("Save"))
