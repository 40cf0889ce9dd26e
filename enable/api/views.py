"""Signed-in pages: your API tokens (create, shown once, revoke), every token for admins, the API documentation."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from enable.api import tokens, tokens_bp
from enable.api.forms import TokenForm
from enable.api.library import FACET_FILTER
from enable.api.openapi import DESCRIPTION, document, introduction
from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.errors import UserError
from enable.extensions import db
from enable.navigation import add_nav_item

add_nav_item("api_tokens.admin", _l("API tokens"), Role.ADMIN, order=93)


@tokens_bp.route("/settings/api-tokens", methods=["GET", "POST"])
@role_required(Role.REP)
def index():
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            token, secret = tokens.create_token(current_user, name=form.name.data,
                                                scope=tokens.TokenScope(form.scope.data))
        except UserError as e:
            db.session.rollback()
            flash(e.message, "error")
        else:
            db.session.commit()
            flash(_("Token “%(name)s” created. Copy it now: it is shown only this once.", name=token.label), "success")
            form = TokenForm(formdata=None)
    status = 422 if form.errors else 200
    response = render_template("api/tokens.html", form=form, secret=secret, tokens=tokens.tokens_of(current_user))
    return response, status, {"Cache-Control": "no-store"}  # the page may hold a new token's secret


@tokens_bp.post("/settings/api-tokens/<int:token_id>/revoke")
@role_required(Role.REP)
def revoke(token_id: int):
    """The owner revokes their token (admins may revoke any, from here or the admin page)."""
    token = tokens.revoke_token(token_id, current_user)
    db.session.commit()
    flash(_("Token “%(name)s” revoked; requests with it are refused from now on.", name=token.label), "success")
    if token.user_id != current_user.id:
        return redirect(url_for("api_tokens.admin"))
    return redirect(url_for("api_tokens.index"))


@tokens_bp.get("/admin/api-tokens")
@role_required(Role.ADMIN)
def admin():
    return render_template("api/admin_tokens.html", tokens=tokens.all_tokens())


def describe(schema: dict[str, Any]) -> str:
    """A short reading of a JSON schema: "integer ≥ 1", "array of Bite", "string or null (date)", "one of a, b"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    types = schema.get("type", "any")
    kind = " or ".join(types) if isinstance(types, list) else types
    if "items" in schema:
        kind = kind.replace("array", f"array of {describe(schema['items'])}")
    if "enum" in schema:
        kind = _("one of %(values)s", values=", ".join(str(v) for v in schema["enum"] if v is not None))
        if None in schema["enum"]:
            kind += _(", or null")
    notes = [schema["format"]] if "format" in schema else []
    for key, sign in (("minimum", "≥"), ("maximum", "≤"), ("minLength", _("chars ≥")), ("maxLength", _("chars ≤")),
                      ("maxItems", _("items ≤"))):
        if key in schema:
            notes.append(f"{sign} {schema[key]}")
    return f"{kind} ({', '.join(notes)})" if notes else kind


_CODE = re.compile(r"`([^`\n]+)`")


def inline_code(text: object) -> Markup:
    """Text of the OpenAPI document as HTML: escaped, with its `backticked` words as <code> (they showed raw)."""
    out = Markup("")
    last = 0
    source = str(text or "")
    for m in _CODE.finditer(source):
        out += source[last:m.start()] + Markup("<code>{}</code>").format(m.group(1))  # the text parts escaped
        last = m.end()
    return out + source[last:]


def paragraphs(text: object) -> Markup:
    """A description of several paragraphs (blank lines between them) as <p> elements, with inline code."""
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", str(text or "")) if p.strip()]
    return Markup("").join(Markup("<p>{}</p>").format(inline_code(p)) for p in parts)


# Texts of the document made from a template (one per facet): the template is the message, its values stay as they are.
_TEMPLATED = [(msgid, re.compile(re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>\\S+)", re.escape(msgid)) + r"\Z"))
              for msgid in (FACET_FILTER,)]


def doc_text(text: str) -> str:
    """A human text of the OpenAPI document (a summary, a description, a tag) in the reader's language.

    The document itself stays English (it is a specification, read by programs); its texts are the catalog's
    messages (marked with N_ where they are written), so the page translates each one as it shows it. A text with no
    translation is shown as it is."""
    if not text:
        return text
    if text == introduction(DESCRIPTION):  # with this site's limits filled in
        return introduction(_(DESCRIPTION))
    for msgid, pattern in _TEMPLATED:
        if m := pattern.match(text):
            return _(msgid, **m.groupdict())
    return _(text)


def fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties of an object schema as rows (name, type, required, description); [] for other schemas."""
    required = set(schema.get("required", []))
    return [{"name": name, "type": describe(prop), "required": name in required,
             "description": doc_text(prop.get("description", ""))}
            for name, prop in schema.get("properties", {}).items()]


@tokens_bp.get("/docs/api")
@role_required(Role.REP)
def docs():
    """The OpenAPI document rendered as a page (no script, nothing from elsewhere)."""
    doc = document()
    by_tag: dict[str, list[dict]] = {t["name"]: [] for t in doc["tags"]}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            by_tag[op["tags"][0]].append({"path": path, "method": method.upper(), **op})
    return render_template("api/docs.html", doc=doc, by_tag=by_tag, describe=describe, fields=fields,
                           inline=inline_code, paragraphs=paragraphs, tr=doc_text,
                           dumps=lambda v: json.dumps(v, indent=2, ensure_ascii=False))
