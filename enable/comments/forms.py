"""The comment forms: a new comment or reply (the call or bite page), and an edit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from enable.comments.models import Visibility
from enable.comments.services import MAX_BODY

EMPTY = _l("Write something: a comment cannot be empty.")
TOO_LONG = _l("A comment may have at most %(max)d characters.")
BODY_RULES = [DataRequired(message=EMPTY), Length(max=MAX_BODY, message=TOO_LONG)]


class CommentForm(FlaskForm):
    """A comment at a second of the call, or a reply (parent_id: it takes its parent's second and visibility)."""

    body = TextAreaField(_l("Comment"), validators=BODY_RULES)
    at = StringField(_l("At (minutes:seconds of the call)"), validators=[Optional(), Length(max=16)])
    visibility = SelectField(_l("Who reads it"), choices=[(v.value, v.label) for v in Visibility],
                             default=Visibility.TEAM.value)
    parent_id = HiddenField()
    bite_id = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.visibility.choices = [(v.value, v.label) for v in Visibility]  # labels in the reader's language


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=BODY_RULES)
