"""Playbook and asset pages as people use them: writing, versions and diffs, uploads, downloads, verifying, reports."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.extensions import db
from enable.notifications import notify
from enable.playbooks.models import Asset, Playbook, PlaybookVersion
from enable.usage import UsageEvent, UsageKind
from tests.playbooks.factories import make_playbook
from tests.usage_beacon import page_shown

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _office(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def test_enablement_writes_a_playbook_edits_it_and_compares_versions(app, users, login):
    client = login(Role.ENABLEMENT)
    response = client.post("/playbooks/new", data={"title": "Discovery basics", "stage": "",
                                                   "body": "## Ask\n\nAsk about the budget.\n"})
    assert response.status_code == 302
    playbook_id = int(response.headers["Location"].rsplit("/", 1)[1])
    page = client.get(f"/playbooks/{playbook_id}").get_data(as_text=True)
    assert '<h2 id="sec-ask">Ask</h2>' in page and 'href="#sec-ask"' in page

    client.post(f"/playbooks/{playbook_id}/edit", data={"title": "Discovery basics", "stage": "",
                                                        "body": "## Ask\n\nAsk about the timeline.\n",
                                                        "note": "Timeline first", "requires_ack": "y"})
    unchanged = client.post(f"/playbooks/{playbook_id}/edit", follow_redirects=True,
                            data={"title": "Discovery basics", "stage": "",
                                  "body": "## Ask\r\n\r\nAsk about the timeline."})
    assert "Nothing changed" in unchanged.get_data(as_text=True)  # a browser's \r\n is not a change
    with app.app_context():
        versions = list(db.session.scalars(select(PlaybookVersion).order_by(PlaybookVersion.number)))
        assert [(v.number, v.note, v.requires_ack, v.editor_id) for v in versions] == [
            (1, "Created", False, users[Role.ENABLEMENT]), (2, "Timeline first", True, users[Role.ENABLEMENT])]

    history = login(Role.REP).get(f"/playbooks/{playbook_id}/history").get_data(as_text=True)
    assert "Timeline first" in history and "Enablement User" in history
    diff = login(Role.REP).get(f"/playbooks/{playbook_id}/diff?a=1&b=2").get_data(as_text=True)
    assert '<span class="diff-del">-Ask about the budget.</span>' in diff
    assert '<span class="diff-add">+Ask about the timeline.</span>' in diff
    old = login(Role.REP).get(f"/playbooks/{playbook_id}/versions/1").get_data(as_text=True)
    assert "Ask about the budget." in old
    assert login(Role.REP).get(f"/playbooks/{playbook_id}/diff?a=1&b=9").status_code == 404


def test_a_diff_shows_hostile_text_escaped(app, users, login):
    with app.app_context():
        playbook = make_playbook(body="safe\n")
        lead = db.session.get(User, users[Role.ENABLEMENT])
        from enable.playbooks.services import update_playbook

        update_playbook(playbook, title=playbook.title, body="<script>alert(1)</script>\n", stage=None, editor=lead,
                        now=utcnow())
        db.session.commit()
        playbook_id = playbook.id
    diff = login(Role.REP).get(f"/playbooks/{playbook_id}/diff?a=1&b=2").get_data(as_text=True)
    assert "<script>alert(1)" not in diff and "&lt;script&gt;alert(1)&lt;/script&gt;" in diff


def test_reps_read_playbooks_but_cannot_write_them(app, users, login):
    with app.app_context():
        playbook_id = make_playbook(title="For everyone").id
        db.session.commit()
    rep = login(Role.REP)
    assert "For everyone" in rep.get("/playbooks/").get_data(as_text=True)
    page = rep.get(f"/playbooks/{playbook_id}")
    assert page.status_code == 200 and page_shown(rep, page.get_data(as_text=True)) == 204
    assert rep.post(f"/playbooks/{playbook_id}/edit", data={"title": "Mine now", "body": "x"}).status_code == 403
    assert rep.post("/playbooks/new", data={"title": "New", "body": "x"}).status_code == 403
    with app.app_context():
        views = db.session.scalar(select(func.count()).select_from(UsageEvent).where(
            UsageEvent.item_type == "playbook", UsageEvent.kind == UsageKind.VIEW))
        assert views == 1 and db.session.get(Playbook, playbook_id).title == "For everyone"


@pytest.mark.parametrize(("name", "data", "content_type"), [
    ("deck.pdf", PDF, "application/pdf"),
    ("plan.docx", _office("word/document.xml"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("slides.pptx", _office("ppt/presentation.xml"),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("numbers.xlsx", _office("xl/workbook.xml"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("diagram.png", PNG, "image/png"),
])
def test_uploads_are_sniffed_stored_by_hash_and_downloaded_as_attachments(app, users, login, name, data,
                                                                          content_type):
    client = login(Role.ENABLEMENT)
    response = client.post("/assets/new", content_type="multipart/form-data", data={
        "title": "Our file", "kind": "case_study", "url": "", "description": "", "file": (io.BytesIO(data), name)})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        asset = db.session.scalar(select(Asset))
        assert asset.content_type == content_type and asset.size_bytes == len(data)
        stored = app.config["MEDIA_DIR"] / asset.file_path
        assert stored.read_bytes() == data and stored.name.startswith(asset.sha256)
        asset_id = asset.id
    download = login(Role.REP).get(f"/assets/{asset_id}/open")
    assert download.status_code == 200 and download.data == data
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert name in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    with app.app_context():
        kinds = set(db.session.scalars(select(UsageEvent.kind).where(UsageEvent.item_type == "asset")))
        assert UsageKind.DOWNLOAD in kinds


@pytest.mark.parametrize(("name", "data"), [
    ("notes.pdf", b"just some text pretending to be a PDF"),
    ("page.html", b"<html><script>alert(1)</script></html>"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ("archive.docx", _office("something/else.xml")),
    ("broken.docx", b"PK\x03\x04 not really a zip"),
    ("empty.pdf", b""),
])
def test_other_files_are_refused_with_a_clear_message(app, users, login, name, data):
    response = login(Role.ENABLEMENT).post("/assets/new", content_type="multipart/form-data", data={
        "title": "Bad", "kind": "other", "url": "", "description": "", "file": (io.BytesIO(data), name)})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "upload a PDF" in page or "empty" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Asset)) == 0
    assert [p.name for p in (app.config["MEDIA_DIR"] / "assets").iterdir()] == []


def test_a_link_asset_with_tags_opens_its_address(app, users, login):
    from enable.taxonomy.models import Tag, TagKind

    with app.app_context():
        tag = Tag(kind=TagKind.COMPETITOR, key="gong", names={"en": "Gong"})
        db.session.add(tag)
        db.session.commit()
        tag_id = tag.id
    client = login(Role.ENABLEMENT)
    response = client.post("/assets/new", data={"title": "Gong battlecard", "kind": "battlecard",
                                                "url": "https://example.com/gong", "description": "", "tags": [tag_id]})
    asset_id = int(response.headers["Location"].rsplit("/", 1)[1])
    rep = login(Role.REP)
    listing = rep.get(f"/assets/?tag={tag_id}").get_data(as_text=True)
    assert "Gong battlecard" in listing and "chip-competitor" in listing
    assert "Gong battlecard" not in rep.get("/assets/?kind=case_study").get_data(as_text=True)
    opened = rep.get(f"/assets/{asset_id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == "https://example.com/gong"
    bad = client.post("/assets/new", data={"title": "X", "kind": "other", "url": "javascript:alert(1)"})
    assert bad.status_code == 422


def test_an_owner_of_any_role_verifies_their_item_from_the_queue(app, users, login):
    with app.app_context():
        old = utcnow() - timedelta(days=200)
        playbook = make_playbook(title="Rep-owned tips", now=old, owner_id=users[Role.REP])
        other = make_playbook(title="Someone else's", now=old, owner_id=users[Role.ENABLEMENT])
        db.session.commit()
        mine_id, other_id = playbook.id, other.id
    rep = login(Role.REP)
    queue = rep.get("/governance/stale").get_data(as_text=True)
    assert "Rep-owned tips" in queue and "Someone else" not in queue
    home = rep.get("/").get_data(as_text=True)
    assert "Your content to review" in home and "Rep-owned tips" in home
    assert rep.post(f"/governance/playbook/{other_id}/verify").status_code == 403
    response = rep.post(f"/governance/playbook/{mine_id}/verify", data={"next": "/governance/stale"})
    assert response.status_code == 302 and response.headers["Location"] == "/governance/stale"
    after = rep.get("/governance/stale").get_data(as_text=True)
    assert "is fresh for another 90 days" in after and "Nothing is stale" in after
    assert rep.post(f"/governance/playbook/{mine_id}/archive").status_code == 403


def test_stale_report_filters_and_exports_csv(app, users, login):
    with app.app_context():
        old = utcnow() - timedelta(days=120)
        make_playbook(title="Old, but gold", now=old, owner_id=users[Role.MANAGER])
        make_playbook(title="Recent", owner_id=users[Role.MANAGER])
        db.session.commit()
    client = login(Role.ENABLEMENT)
    page = client.get("/governance/reports/stale").get_data(as_text=True)
    assert "Old, but gold" in page and "Recent" not in page and "Manager User" in page
    assert "Old, but gold" not in client.get("/governance/reports/stale?kind=asset").get_data(as_text=True)
    csv_data = client.get(f"/governance/reports/stale.csv?owner={users[Role.MANAGER]}").data
    assert csv_data.startswith(b"\xef\xbb\xbf")
    lines = csv_data.decode("utf-8-sig").splitlines()
    assert lines[0] == "kind,id,title,owner,verifier,verified_at,due_on,days_overdue,review_interval_days"
    assert lines[1].startswith('playbook,1,"Old, but gold",manager@example.test,,,')
    assert lines[1].endswith(",30,90")
    assert len(lines) == 2
    health = client.get("/").get_data(as_text=True)
    assert "Content health" in health and "stale items" in health


def test_review_settings_change_owner_and_interval(app, users, login):
    with app.app_context():
        playbook_id = make_playbook(now=utcnow() - timedelta(days=40)).id
        db.session.commit()
    client = login(Role.ENABLEMENT)
    response = client.post(f"/governance/playbook/{playbook_id}/settings", data={
        "owner": str(users[Role.MANAGER]), "verifier": str(users[Role.REP]), "review_interval_days": "30"})
    assert response.status_code == 302
    with app.app_context():
        playbook = db.session.get(Playbook, playbook_id)
        assert (playbook.owner_id, playbook.verifier_id, playbook.review_interval_days) == (
            users[Role.MANAGER], users[Role.REP], 30)
    assert "Playbook" in login(Role.MANAGER).get("/governance/stale").get_data(as_text=True)
    assert login(Role.MANAGER).post(f"/governance/playbook/{playbook_id}/settings", data={}).status_code == 403


def test_notification_links_must_stay_on_this_site(app, users):
    with app.app_context(), pytest.raises(ValueError):
        notify(users[Role.REP], "stale", "Look", "https://evil.example/")


def test_assets_linked_from_a_playbook_are_its_attachments(app, users, login):
    from tests.playbooks.factories import make_link_asset

    with app.app_context():
        lead = db.session.get(User, users[Role.ENABLEMENT])
        deck = make_link_asset("https://example.com/deck", lead, title="Pricing deck")
        make_link_asset("https://example.com/other", lead, title="Unrelated sheet")
        playbook_id = make_playbook(body=f"Walk through [the deck](/assets/{deck.id}).\n").id
        db.session.commit()
        deck_id = deck.id
    page = login(Role.REP).get(f"/playbooks/{playbook_id}").get_data(as_text=True)
    attachments = page[page.index("Attachments"):page.index("Freshness")]
    assert f'href="/assets/{deck_id}/open">Pricing deck</a>' in attachments and "Unrelated sheet" not in attachments
    editor = login(Role.ENABLEMENT).get(f"/playbooks/{playbook_id}/edit").get_data(as_text=True)
    assert "[Unrelated sheet](/assets/" in editor  # the editor offers what can be attached
    asset_page = login(Role.REP).get(f"/assets/{deck_id}").get_data(as_text=True)
    assert f'href="/playbooks/{playbook_id}"' in asset_page  # and the asset shows where it is attached


def test_an_asset_file_path_outside_the_media_folder_is_not_served(app, users, login, tmp_path, caplog):
    client = login(Role.ENABLEMENT)
    client.post("/assets/new", content_type="multipart/form-data", data={
        "title": "Deck", "kind": "case_study", "url": "", "description": "", "file": (io.BytesIO(PDF), "deck.pdf")})
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(PDF + b"%secret")
    with app.app_context():
        asset = db.session.scalar(select(Asset))
        asset.file_path = "../secret.pdf"  # beside MEDIA_DIR, as a crafted backup could carry
        db.session.commit()
        asset_id = asset.id
    caplog.set_level("WARNING", logger="enable.playbooks.assets")
    response = login(Role.REP).get(f"/assets/{asset_id}/open")
    assert response.status_code == 404 and b"%secret" not in response.data
    assert f"asset {asset_id}: its stored file path leads outside MEDIA_DIR" in caplog.text
