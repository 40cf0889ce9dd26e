"""Forms for signing in and managing users."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from enable.auth.models import ROLE_LABELS, Role
from enable.auth.passwords import MIN_PASSWORD_LENGTH

_PASSWORD_RULE = Length(min=MIN_PASSWORD_LENGTH, max=200, message=_l("A password needs at least %(min)d characters."))

LOCALE_CHOICES = [("", _l("Browser language")), ("en", "English"), ("ru", "Русский")]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))
    submit = SubmitField(_l("Sign in"))


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    team = SelectField(_l("Team"), choices=[], validate_choice=False)
    new_team = StringField(_l("Or a new team"), validators=[Optional(), Length(max=120)])
    hired_on = DateField(_l("Hire date"), validators=[Optional()])
    locale = SelectField(_l("Interface language"), choices=LOCALE_CHOICES)
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


class SettingsForm(FlaskForm):
    locale = SelectField(_l("Interface language"), choices=LOCALE_CHOICES)
    submit = SubmitField(_l("Save"))
