"""Forms for editing tracks and quizzes, assigning tracks, and answering questions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from enable.learning.models import QUESTION_LABELS, STEP_LABELS
from enable.learning.quizzes import MAX_OPTIONS


class TrackForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    # The interface languages (enable.i18n.language_choices); save_track checks the tag, so a form sent without it
    # (an older page, a script) keeps the track's language.
    language = SelectField(_l("Language"), choices=[], validate_choice=False)
    is_default = BooleanField(_l("Default track for new hires who work in its language"))
    submit = SubmitField(_l("Save"))


class StepForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in STEP_LABELS.items()])
    ref = StringField(_l("Which item"), validators=[Optional(), Length(max=200)])
    title = StringField(_l("Title (optional; required for a sign-off)"), validators=[Optional(), Length(max=300)])
    due_days = IntegerField(_l("Due on day"), validators=[Optional(), NumberRange(min=0, max=3650)])
    submit = SubmitField(_l("Add step"))


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[DataRequired()])


class AssignForm(FlaskForm):
    users = SelectMultipleField(_l("People"), choices=[], coerce=int, validate_choice=False)
    teams = SelectMultipleField(_l("Whole teams"), choices=[], coerce=int, validate_choice=False)
    start = DateField(_l("Start date"), validators=[DataRequired()])
    submit = SubmitField(_l("Assign"))


class QuizForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    pass_percent = IntegerField(_l("Pass mark (percent)"), default=80, validators=[DataRequired(),
                                                                                   NumberRange(min=1, max=100)])
    max_attempts = IntegerField(_l("Attempts allowed (empty: unlimited)"),
                                validators=[Optional(), NumberRange(min=1, max=1000)])
    submit = SubmitField(_l("Save"))


class OptionForm(Form):
    text = StringField(_l("Option"), validators=[Optional(), Length(max=500)])
    is_correct = BooleanField(_l("Correct"))


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[(k.value, label) for k, label in QUESTION_LABELS.items()])
    prompt = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=5000)])
    bite = StringField(_l("Bite to listen to (listening questions): its id or page link"),
                       validators=[Optional(), Length(max=200)])
    answer = SelectField(_l("The statement is (true or false questions)"),
                         choices=[("true", _l("True")), ("false", _l("False"))])
    options = FieldList(FormField(OptionForm), min_entries=MAX_OPTIONS, max_entries=MAX_OPTIONS)
    explanation = TextAreaField(_l("Feedback shown after answering"), validators=[Optional(), Length(max=5000)])
    submit = SubmitField(_l("Save question"))


class ConfirmForm(FlaskForm):
    """A bare POST with its CSRF token (acknowledge, sign off, delete)."""

    submit = SubmitField(_l("Confirm"))
