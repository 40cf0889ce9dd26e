"""Requests checked against the schemas their operation declares, so the OpenAPI document is also the contract
enforced: types, minimum/maximum, minLength/maxLength, enum, pattern, minItems/maxItems, required properties and
the date formats. Query arguments and multipart form fields arrive as text and are read as the declared type;
JSON bodies are checked as they are. An empty value is only a cleared filter for free text; elsewhere it is checked
like any other (`?limit=` is not a number). The objects of
a batch (an array of objects) are left to their operation, which accepts the valid ones and reports each other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from enable.request_args import day_problem

_INTEGER = re.compile(r"-?[0-9]{1,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _types(schema: Mapping[str, Any]) -> list[str]:
    declared = schema.get("type")
    return [declared] if isinstance(declared, str) else list(declared or [])


def _type_message(name: str, kind: str) -> str:
    messages = {
        "integer": _("“%(name)s” must be a whole number.", name=name),
        "number": _("“%(name)s” must be a number.", name=name),
        "boolean": _("“%(name)s” must be true or false.", name=name),
        "string": _("“%(name)s” must be text.", name=name),
        "array": _("“%(name)s” must be a list.", name=name),
        "object": _("“%(name)s” must be an object.", name=name),
    }
    return messages.get(kind, _("“%(name)s” has the wrong type.", name=name))


def _from_text(name: str, schema: Mapping[str, Any], raw: str) -> tuple[Any, str | None]:
    """A text value (query argument, form field) read as the schema's type, or why it cannot be."""
    kinds = _types(schema) or ["string"]
    if "integer" in kinds and _INTEGER.fullmatch(raw):
        return int(raw), None
    if "number" in kinds:
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            return number, None
    if "boolean" in kinds and raw in ("true", "false"):
        return raw == "true", None
    if "string" in kinds:
        return raw, None
    return None, _type_message(name, kinds[0])


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        # An int is finite however long (math.isfinite would overflow converting a 400-digit one to a float).
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, float)
                                                                            and math.isfinite(value))
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict,
                              "null": type(None)}.get(kind, object))


def _format_problem(name: str, fmt: str, value: str) -> str | None:
    if fmt == "date":
        try:
            day = date.fromisoformat(value) if _DAY.fullmatch(value) else None
        except ValueError:
            day = None
        if day is None:
            return _("“%(value)s” is not a date (use YYYY-MM-DD).", value=value[:20])
        return day_problem(day)
    if fmt == "date-time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return _("“%(name)s” must be a date and time (ISO 8601, e.g. 2024-03-01T09:30:00Z).", name=name)
    return None


def value_problem(name: str, schema: Mapping[str, Any], value: Any) -> str | None:
    """Why a decoded value does not fit its schema, or None. Keywords not listed in the module docstring pass."""
    kinds = _types(schema)
    if kinds and not any(_is_type(value, kind) for kind in kinds):
        return _type_message(name, next(k for k in kinds if k != "null"))
    if value is None:
        return None
    if "enum" in schema and value not in schema["enum"]:
        return _("“%(name)s” must be one of: %(choices)s.", name=name,
                 choices=", ".join(str(c) for c in schema["enum"] if c is not None))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return _("“%(name)s” must be at least %(n)s.", name=name, n=schema["minimum"])
        if "maximum" in schema and value > schema["maximum"]:
            return _("“%(name)s” must be at most %(n)s.", name=name, n=schema["maximum"])
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return _("“%(name)s” must have at least %(n)d characters.", name=name, n=schema["minLength"])
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return _("“%(name)s” may have at most %(n)d characters.", name=name, n=schema["maxLength"])
        if "format" in schema and (problem := _format_problem(name, schema["format"], value)) is not None:
            return problem
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return _("“%(name)s” is not in the expected form.", name=name)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            return _("“%(name)s” must have at least %(n)d items.", name=name, n=schema["minItems"])
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return _("“%(name)s” may have at most %(n)d items.", name=name, n=schema["maxItems"])
        items = schema.get("items") or {}
        if "object" in _types(items):
            return None  # a batch: its operation checks each object and reports the rejected ones one by one
        return next((p for i, item in enumerate(value)
                     if (p := value_problem(f"{name}[{i}]", items, item)) is not None), None)
    if isinstance(value, dict):
        return object_problem(schema, value, prefix=f"{name}.")
    return None


def integral_numbers(schema: Mapping[str, Any], data: dict[str, Any]) -> None:
    """Turn 12.0 into 12 where the schema declares an integer: JSON Schema counts it as one, so the views get ints."""
    for key, prop in (schema.get("properties") or {}).items():
        value = data.get(key)
        if "integer" in _types(prop) and isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
            data[key] = int(value)


def object_problem(schema: Mapping[str, Any], value: Mapping[str, Any], prefix: str = "") -> str | None:
    """Why a JSON object does not fit its object schema (required and declared properties), or None."""
    for key in schema.get("required") or []:
        if key not in value:
            return _("“%(name)s” is required.", name=prefix + key)
    properties = schema.get("properties") or {}
    for key, item in value.items():
        if key in properties and (problem := value_problem(prefix + key, properties[key], item)) is not None:
            return problem
    return None


def text_problem(name: str, schema: Mapping[str, Any], values: list[str]) -> str | None:
    """Why a query argument or form field (all its values, as sent) does not fit its schema, or None."""
    if "array" in _types(schema):
        items = schema.get("items") or {}
        decoded = []
        for raw in values:
            item, problem = _from_text(name, items, raw)
            if problem is not None:
                return problem
            decoded.append(item)
        return value_problem(name, schema, decoded)
    raw = values[-1] if values else ""
    free_text = _types(schema) in ([], ["string"]) and not {"enum", "format", "pattern", "minLength"} & set(schema)
    if raw == "" and free_text:
        return None  # a cleared text filter
    value, problem = _from_text(name, schema, raw)
    return problem if problem is not None else value_problem(name, schema, value)


def form_problem(schema: Mapping[str, Any], form: MultiDict) -> str | None:
    """Why multipart form fields do not fit the declared object schema (files are not checked here), or None."""
    properties = schema.get("properties") or {}
    for key, prop in properties.items():
        if prop.get("format") != "binary" and key in form \
                and (problem := text_problem(key, prop, form.getlist(key))) is not None:
            return problem
    return None
