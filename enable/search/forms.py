"""Forms of the search pages, and the reading of a search URL into a SearchQuery."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from enable.search.index import FILTER_FIELDS, SORTS, SearchQuery
from enable.search.playlists import FROM_SEARCH_DEFAULT, MAX_ITEMS, NAME_MAX
from enable.search.services import MAX_PAGE, PER_PAGE

QUERY_MAX_CHARS = 500
VALUES_PER_FILTER = 20


@dataclass
class ParsedArgs:
    """A search URL read into a query, with what had to be ignored and why."""

    query: SearchQuery
    problems: list[str] = field(default_factory=list)


def _date(args: MultiDict, name: str, problems: list[str]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(_("“%(value)s” is not a date (use YYYY-MM-DD), so it was ignored.", value=raw[:20]))
        return None


def _clean(text: str) -> str:
    """The text without NUL characters (no text may hold them; PostgreSQL refuses them), trimmed."""
    return text.replace("\x00", "").strip()


def parse_search_args(args: MultiDict) -> ParsedArgs:
    """Read q, the facet filters (repeatable), from/to, sort and page from the URL; never fails."""
    problems: list[str] = []
    filters = {}
    for name in FILTER_FIELDS:
        values = [_clean(v) for v in args.getlist(name) if _clean(v)]
        if values:
            filters[name] = list(dict.fromkeys(values))[:VALUES_PER_FILTER]
    date_from, date_to = _date(args, "from", problems), _date(args, "to", problems)
    if date_from and date_to and date_from > date_to:
        date_from, date_to = date_to, date_from
    sort = args.get("sort", "relevance")
    raw_page = (args.get("page") or "1").strip()
    page = min(max(int(raw_page), 1), MAX_PAGE) if re.fullmatch(r"[0-9]{1,6}", raw_page) else 1
    query = SearchQuery(text=_clean(args.get("q") or "")[:QUERY_MAX_CHARS], filters=filters, date_from=date_from,
                        date_to=date_to, sort=sort if sort in SORTS else "relevance",
                        page=page, per_page=PER_PAGE)
    return ParsedArgs(query, problems)


def search_args(q: SearchQuery) -> MultiDict:
    """The URL arguments that reproduce a query (first page), the inverse of parse_search_args."""
    args: MultiDict = MultiDict()
    if q.text:
        args["q"] = q.text
    for name, values in q.filters.items():
        for value in values:
            args.add(name, value)
    if q.date_from:
        args["from"] = q.date_from.isoformat()
    if q.date_to:
        args["to"] = q.date_to.isoformat()
    if q.sort != "relevance":
        args["sort"] = q.sort
    return args


class PlaylistForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    bite_id = HiddenField()  # set when the playlist is created from a bite page, which adds that bite
    submit = SubmitField(_l("Create playlist"))


class PlaylistEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class PlaylistFromSearchForm(FlaskForm):
    name = StringField(_l("Playlist name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    limit = IntegerField(_l("Top results to keep"), default=FROM_SEARCH_DEFAULT,
                         validators=[DataRequired(), NumberRange(min=1, max=MAX_ITEMS)])
    search = HiddenField()  # the search's URL arguments, as the results page had them
    submit = SubmitField(_l("Save search as playlist"))


class AddToPlaylistForm(FlaskForm):
    playlist_id = SelectField(_l("Playlist"), coerce=int, choices=[], validate_choice=False)
    bite_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Add to playlist"))
