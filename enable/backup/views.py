"""The admin page of exports: what an export holds, and its download (built in a temporary file, then streamed)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import current_app, render_template, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from enable import audit
from enable.auth.decorators import role_required
from enable.auth.models import Role
from enable.backup import bp, services, tables
from enable.db import utcnow
from enable.extensions import db
from enable.navigation import add_nav_item

add_nav_item("backup.index", _l("Export"), Role.ADMIN, order=97)


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return render_template("backup/index.html", secret_columns=tables.SECRET_COLUMNS)


@bp.get("/export.zip")
@role_required(Role.ADMIN)
def export_download():
    # An anonymous temporary file: on disk, not in memory, and gone once the response is closed.
    out = tempfile.TemporaryFile(dir=Path(current_app.config["ENABLE_DATA_DIR"]), prefix=".export-")  # noqa: SIM115
    report = services.write_archive(out, services.EXPORT)
    audit.record(current_user, "backup.export_download", detail={"rows": sum(report.tables.values()),
                                                                  "transcripts": report.files.get("transcripts", 0)})
    db.session.commit()
    out.seek(0)
    name = f"enable-export-{utcnow():%Y%m%d-%H%M%S}.zip"
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=name, max_age=0)
