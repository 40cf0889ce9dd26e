"""Forms: a scorecard (title, stage, questions as lines) and a feedback request."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from enable.request_args import DayInBounds


class ScorecardForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    stage = SelectField(_l("Deal stage"), choices=[], validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    questions = TextAreaField(_l("Questions"), validators=[DataRequired(), Length(max=40000)],
                              render_kw={"rows": 10})
    submit = SubmitField(_l("Save"))


class FeedbackRequestForm(FlaskForm):
    manager = SelectField(_l("Ask whom"), choices=[], coerce=int, validate_choice=False)
    note = TextAreaField(_l("What would you like feedback on? (optional)"), validators=[Optional(), Length(max=2000)])
    due_on = DateField(_l("Due date (optional)"), validators=[Optional(), DayInBounds()])
    submit = SubmitField(_l("Ask for feedback"))
