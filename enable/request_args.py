"""Numbers from URLs and forms, bounded to what the database can hold: ids in paths, integer query arguments.

An id beyond MAX_ID cannot name a row (PostgreSQL's integer is 32-bit; SQLite overflows past 64 bits), so a path
holding one is a 404 and a query argument holding one is a 400 with a message, never an overflow in the driver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from enable.errors import UserError

MAX_ID = 2**31 - 1  # the largest id a row can have (PostgreSQL's integer)
_DIGITS = re.compile(r"-?[0-9]{1,12}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses


class IdConverter(IntegerConverter):
    """The `<int:...>` URL converter: ASCII digits up to MAX_ID unless a rule sets max; a larger number is a 404."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002  (werkzeug's parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


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
