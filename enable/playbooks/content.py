"""Playbooks in the content folder (`flask content load` / `flask content export PATH`) and the demo data."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from enable.auth.models import User
from enable.db import utcnow
from enable.demo import register_demo_step
from enable.extensions import db
from enable.playbooks import assets as asset_services
from enable.playbooks import governance, links
from enable.playbooks.models import Asset, AssetKind, Playbook
from enable.playbooks.services import export_playbooks, load_playbooks, stage_keys
from enable.starter import content_cli, register_loader

register_loader("playbooks", load_playbooks)


@content_cli.command("export")
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(path: Path) -> None:
    """Write the playbooks to PATH as Markdown files with front matter (PATH/<slug>.md), for keeping them in git."""
    written = export_playbooks(path)
    click.echo(f"exported {len(written)} playbooks to {path}")


# A one-page PDF, so the demo has an uploaded asset without shipping a binary file.
_DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
             b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>"
             b">>endobj\n4 0 obj<</Length 66>>stream\nBT /F1 24 Tf 72 760 Td (Northwind cut onboarding time by 40%) Tj "
             b"ET\nendstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _demo_assets(owner: User) -> list[Asset]:
    now = utcnow()
    made = []
    if db.session.scalar(select(Asset.id).where(Asset.title == "Pricing battlecard")) is None:
        negotiation = db.session.scalar(select(Playbook.id).where(Playbook.slug == "negotiation"))
        see_also = f" Hear them in the [negotiation playbook](/playbooks/{negotiation})." if negotiation else ""
        made.append(asset_services.create_asset(
            title="Pricing battlecard", kind=AssetKind.BATTLECARD,
            description="Price objections and the answers that work." + see_also,
            url="https://www.example.com/battlecards/pricing", stored=None, original_filename=None, tag_ids=[],
            creator=owner, now=now))
    if db.session.scalar(select(Asset.id).where(Asset.title == "Case study: Northwind")) is None:
        stored = asset_services.store_upload(io.BytesIO(_DEMO_PDF), current_app.config["MEDIA_DIR"], 10 * 2**20)
        asset = asset_services.create_asset(
            title="Case study: Northwind", kind=AssetKind.CASE_STUDY,
            description="How a 40-seat sales team cut onboarding time by 40%.", url=None, stored=stored,
            original_filename="northwind-case-study.pdf", tag_ids=[], creator=owner, now=now)
        asset.created_at = now - timedelta(days=200)  # old and unread: the demo shows it among archive proposals
        made.append(asset)
    return made


def demo_playbooks(users: dict[str, User]) -> str:
    """Owners for the starter playbooks, two assets, one stale playbook and its owner's notice."""
    if not stage_keys():
        return "skipped: run `flask content load` first (playbooks name the taxonomy's stages)"
    report = load_playbooks(current_app.config["CONTENT_DIR"])  # again: the owners' accounts exist now
    lead = users["enablement@example.test"]
    made = _demo_assets(lead)
    closing = db.session.scalar(select(Playbook).where(Playbook.slug == "closing"))
    now = utcnow()
    if closing is not None and closing.verified_at is None:
        closing.verified_at = now - timedelta(days=120)  # so the stale queue has something to show
    db.session.flush()
    links.check_links(now, external=False)
    notices = governance.notify_stale_owners(now.date(), now)
    return f"playbooks {report.summary()}; {len(made)} assets; {notices} stale notices"


register_demo_step("playbooks", demo_playbooks)
