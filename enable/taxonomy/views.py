"""The taxonomy page: every tag and the phrases that detect it."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from enable.taxonomy import bp
from enable.taxonomy.models import TagKind
from enable.taxonomy.services import all_tags, by_kind

bp.add_app_template_filter(by_kind, "by_kind")


@bp.get("/")
@login_required
def index():
    tags = all_tags()
    by_kind = {kind: [t for t in tags if t.kind == kind] for kind in TagKind}
    return render_template("taxonomy/index.html", by_kind=by_kind)
