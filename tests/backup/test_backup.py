"""Export, backup and restore on real databases and files: every table and file comes back, secrets stay out of
exports, a backup taken while another thread writes is consistent, and search works after a restore."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from enable import create_app
from enable.audit import AuditEvent
from enable.auth.models import Role, User
from enable.backup import tables
from enable.extensions import db
from enable.search.index import SearchQuery
from enable.search.services import run_index_query
from enable.webhooks import services as webhooks
from tests.backup.helpers import migrated_app
from tests.conftest import REPO, base_config

RESTORE_ACTION = "backup.restore"
# the newest migration, read from migrations/ so that a new migration needs no edit here
HEAD = ScriptDirectory(str(REPO / "migrations")).get_current_head()


def _populate(app) -> dict[str, str]:
    """Real data: users (fixture), a sample call through the pipeline (transcript, media, bites, index), a webhook
    endpoint with its secret. Returns the secrets that exports must leave out."""
    from tests.calls.helpers import ingest_sample, load_content

    with app.app_context():
        load_content()
        ingest_sample("negotiation-price", title="Price talk")
        endpoint = webhooks.create_endpoint("https://crm.example.test/hooks", ["call.failed"], None, "crm")
        db.session.commit()
        hashes = {u.email: u.password_hash for u in db.session.scalars(select(User))}
        return {"webhook": endpoint.secret, **hashes}


def _tables(app) -> dict[str, list[dict]]:
    """Every table's rows, JSON-encoded, in primary-key order (restore audit rows left out)."""
    with app.app_context(), db.engine.connect() as conn:
        dump = {t.name: list(tables.iter_rows(conn, t)) for t in db.metadata.sorted_tables}
    dump["audit_event"] = [r for r in dump["audit_event"] if r["action"] != RESTORE_ACTION]
    return dump


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _hits(app, words: str) -> list[int]:
    with app.app_context():
        return [h.id for h in run_index_query(SearchQuery(text=words)).hits]


@pytest.fixture
def fresh_app(tmp_path):
    """A second, empty site (its own database, data folder, transcripts and index) to restore into; its database
    file has no table yet (the restore brings the schema)."""
    app = create_app(base_config(tmp_path / "restored"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_export_holds_every_table_and_transcript_and_no_secret(app, users, runner, tmp_path):
    secrets = _populate(app)
    path = tmp_path / "out" / "export.zip"
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context(), db.engine.connect() as conn:
        counts = {t.name: tables.count_rows(conn, t) for t in db.metadata.sorted_tables}
    transcripts = _files(app.config["TRANSCRIPTS_DIR"])
    assert any(name.endswith(".json") for name in transcripts) and any(n.endswith(".vtt") for n in transcripts)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "enable-export"
        for name, count in counts.items():
            if name == "audit_event":  # the export itself is audited after the archive was written
                count -= 1
            if name in tables.PERSONAL_TABLES:  # voice profiles: only with --with-voice-profiles
                assert f"tables/{name}.json" not in zf.namelist() and manifest["left_out"][name] == ["*"]
                continue
            document = json.loads(zf.read(f"tables/{name}.json"))
            assert len(document["rows"]) == count == manifest["tables"][name], name
        assert counts["bite"] > 0 and counts["call"] == 1
        for name, content in transcripts.items():
            assert zf.read(f"transcripts/{name}") == content
        users_doc = json.loads(zf.read("tables/user.json"))
        assert "password_hash" not in users_doc["columns"] and users_doc["left_out"] == ["password_hash"]
        assert json.loads(zf.read("tables/webhook_endpoint.json"))["left_out"] == ["url", "secret"]
        everything = b"".join(zf.read(info) for info in zf.infolist())
        for secret in secrets.values():
            assert secret.encode() not in everything
        assert b"password hashes" in zf.read("README.txt")
        assert not any(n.startswith("media/") for n in zf.namelist())  # recordings are for backups
        call = json.loads(zf.read("tables/call.json"))["rows"][0]
        assert call["title"] == "Price talk" and call["created_at"].endswith("+00:00")  # ISO, UTC


def test_an_admin_downloads_the_export_and_it_is_audited(app, users, login):
    _populate(app)
    admin = login(Role.ADMIN)
    assert b"Download the export" in admin.get("/backup/").data
    response = admin.get("/backup/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    import io

    with zipfile.ZipFile(io.BytesIO(response.get_data())) as zf:
        assert json.loads(zf.read("tables/call.json"))["rows"][0]["title"] == "Price talk"
    response.close()
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "backup.export_download")) is not None
    assert login(Role.ENABLEMENT).get("/backup/export.zip").status_code == 403


def test_backup_and_restore_round_trip_everything(app, users, runner, fresh_app, tmp_path):
    _populate(app)
    before_hits = _hits(app, "price")
    assert before_hits
    # The key a site without SECRET_KEY generates into its data folder (tests set SECRET_KEY, so write one).
    (Path(app.config["ENABLE_DATA_DIR"]) / "secret_key").write_text("generated-secret-key-of-this-site")
    path = tmp_path / "backup.zip"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    before = _tables(app)
    with zipfile.ZipFile(path) as zf:
        assert "database/enable.sqlite3" in zf.namelist() and "secret_key" in zf.namelist()
        assert json.loads(zf.read("manifest.json"))["database"]["revision"] == HEAD

    restored = fresh_app.test_cli_runner().invoke(args=["restore", str(path)])
    assert restored.exit_code == 0, restored.output
    assert "search index rebuilt" in restored.output
    assert _tables(fresh_app) == before
    for key in ("TRANSCRIPTS_DIR", "MEDIA_DIR"):
        assert _files(fresh_app.config[key]) == _files(app.config[key]) != {}
    assert (Path(fresh_app.config["ENABLE_DATA_DIR"]) / "secret_key").read_bytes() == \
        (Path(app.config["ENABLE_DATA_DIR"]) / "secret_key").read_bytes()
    assert _hits(fresh_app, "price") == before_hits
    with fresh_app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == RESTORE_ACTION)) is not None

    again = fresh_app.test_cli_runner().invoke(args=["restore", str(path)])
    assert again.exit_code != 0 and "--force" in again.output  # the database holds data now
    forced = fresh_app.test_cli_runner().invoke(args=["restore", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert _tables(fresh_app) == before


def test_restore_refuses_an_export_and_a_file_that_is_not_an_archive(app, users, runner, fresh_app, tmp_path):
    export = tmp_path / "export.zip"
    assert runner.invoke(args=["export", str(export)]).exit_code == 0
    cli = fresh_app.test_cli_runner()
    refused = cli.invoke(args=["restore", str(export)])
    assert refused.exit_code != 0 and "export" in refused.output
    junk = tmp_path / "junk.zip"
    junk.write_bytes(os.urandom(2048))
    refused = cli.invoke(args=["restore", str(junk)])
    assert refused.exit_code != 0 and "not a readable zip" in refused.output and "Traceback" not in refused.output


def test_a_backup_taken_while_another_thread_writes_is_consistent(app, users, tmp_path):
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    stop = threading.Event()
    written = [0]

    def write() -> None:
        conn = sqlite3.connect(database, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        while not stop.is_set():
            with conn:
                conn.executemany(
                    "INSERT INTO audit_event (action, detail, created_at) VALUES (?, ?, datetime('now'))",
                    [("load.write", json.dumps({"n": written[0] + i, "pad": "x" * 200})) for i in range(50)])
            written[0] += 50
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 500:
            pass
        from enable.backup import services

        with app.app_context():
            report = services.write_archive_file(tmp_path / "live.zip", services.BACKUP)
    finally:
        stop.set()
        writer.join()
    assert 0 < report.tables["audit_event"] < written[0]  # taken mid-stream
    with zipfile.ZipFile(tmp_path / "live.zip") as zf:
        copy = tmp_path / "copy.sqlite3"
        copy.write_bytes(zf.read("database/enable.sqlite3"))
    check = sqlite3.connect(copy)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counted = check.execute("SELECT count(*) FROM audit_event").fetchone()[0]
        numbers = [json.loads(d)["n"] for (d,) in check.execute("SELECT detail FROM audit_event ORDER BY id")]
    finally:
        check.close()
    assert counted == report.tables["audit_event"]  # the manifest describes the very copy in the archive
    assert numbers == list(range(len(numbers))) and len(numbers) % 50 == 0  # whole transactions only


@pytest.mark.postgres
def test_a_postgres_backup_restores_into_sqlite_and_back(own_postgres, tmp_path):
    source = migrated_app(base_config(tmp_path / "pg", SQLALCHEMY_DATABASE_URI=own_postgres))
    with source.app_context():
        from tests.factories import make_user

        for role in Role:
            make_user(role=role, email=f"{role.value}@example.test")
        db.session.commit()
    try:
        _populate(source)
        path = tmp_path / "pg-backup.zip"
        result = source.test_cli_runner().invoke(args=["backup", str(path)])
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            assert manifest["database"] == {"dialect": "postgresql", "revision": HEAD, "layout": "tables"}
            assert json.loads(zf.read("tables/user.json"))["left_out"] == []  # a backup keeps password hashes
        before = _tables(source)

        target = create_app(base_config(tmp_path / "lite"))  # an empty SQLite file: the restore brings the schema
        restored = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert restored.exit_code == 0, restored.output
        assert _tables(target) == before
        assert _hits(target, "price") == _hits(source, "price") != []

        # ... and back into PostgreSQL over its data (--force), ids and sequences intact.
        again = source.test_cli_runner().invoke(args=["restore", str(path), "--force"])
        assert again.exit_code == 0, again.output
        assert _tables(source) == before
        with source.app_context():
            db.session.add(AuditEvent(action="after.restore"))
            db.session.commit()  # the id sequence moved past the restored ids

        # A SQLite backup restores into PostgreSQL too (row by row from the archived database file).
        lite = tmp_path / "lite-backup.zip"
        assert target.test_cli_runner().invoke(args=["backup", str(lite)]).exit_code == 0
        expected = _tables(target)
        assert source.test_cli_runner().invoke(args=["restore", str(lite), "--force"]).exit_code == 0
        assert _tables(source) == expected
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with source.app_context():
            db.session.remove()
            db.engine.dispose()
