"""Numbers and days from URLs and forms, bounded to what the database and date arithmetic can hold.

An id beyond MAX_ID cannot name a row (PostgreSQL's integer is 32-bit; SQLite overflows past 64 bits), so a path
holding one is a 404 and a query argument holding one is a 400 with a message, never an overflow in the driver.
A day people enter lies in FIRST_DAY..LAST_DAY: years 1 or 9999 overflow the day after or before them, and
nothing a sales team records is that old or that far ahead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map
from werkzeug.routing import ValidationError as RouteMismatch
from wtforms.validators import ValidationError

from enable.errors import UserError

MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL's integer)
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
_DIGITS = re.compile(r"-?[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses


class IdConverter(IntegerConverter):
    """The `<int:...>` URL converter: ASCII digits up to MAX_ID unless a rule sets max; a larger number is a 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002  (werkzeug's parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # Out of range is "no such item" for every method: the router's way (a failed match) would answer a POST to
        # /calls/<huge>/scores with 405, since the GET rule of the same path matched all but its method.
        try:
            return int(super().to_python(value))
        except RouteMismatch:
            raise NotFound() from None


class BadArgument(UserError):
    """A query or form argument that is not a number in its range, or not one of its choices."""


def parse_id(raw: str | None) -> int | None:
    """The id written in raw (1..MAX_ID, ASCII digits), else None."""
    text = (raw or "").strip()
    if not re.fullmatch(r"[0-9]{1,10}", text) or not 1 <= int(text) <= MAX_ID:
        return None
    return int(text)


def query_int(args: Mapping[str, str], name: str, default: int | None = None, *, low: int = 1,
              high: int = MAX_ID) -> int | None:
    """The integer argument `name` in [low, high]; absent or empty gives default; anything else is a BadArgument."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise BadArgument(_("“%(name)s” must be a whole number from %(low)d to %(high)d.", name=name, low=low,
                            high=high))
    return int(raw)


def query_choice(args: Mapping[str, str], name: str, choices: list[str], default: str | None = None) -> str | None:
    """The argument `name` if it is one of choices; absent or empty gives default; anything else is a BadArgument."""
    raw = args.get(name) or ""
    if not raw:
        return default
    if raw not in choices:
        raise BadArgument(_("“%(name)s” must be one of: %(choices)s.", name=name, choices=", ".join(choices)))
    return raw


def day_problem(day: date | None) -> str | None:
    """Why a day someone entered is refused (outside FIRST_DAY..LAST_DAY), else None."""
    if day is None or FIRST_DAY <= day <= LAST_DAY:
        return None
    return _("Enter a date between %(first)s and %(last)s.", first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


def parse_day(raw: str) -> date | None:
    """The day written as YYYY-MM-DD within FIRST_DAY..LAST_DAY, else None (20240101, 2024-W01-1 and 0001-01-01
    too, which date.fromisoformat would take)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if day_problem(day) is None else None


class DayInBounds:
    """WTForms validator: the field's day lies within FIRST_DAY..LAST_DAY."""

    def __call__(self, form: Any, field: Any) -> None:
        if (problem := day_problem(field.data)) is not None:
            raise ValidationError(problem)
