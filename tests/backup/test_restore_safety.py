"""A restore that cannot finish changes nothing; a restored database is migrated like any other (its alembic_version
right, `flask db upgrade` a no-op); a backup says which files its database refers to but could not hold."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import select, text

from enable import create_app
from enable.audit import AuditEvent
from enable.backup.services import _loggers_kept
from enable.calls.models import Call
from enable.extensions import db
from enable.search.postgres_backend import include_object
from tests.backup.test_backup import HEAD, _files, _hits, _populate, _tables
from tests.conftest import base_config


def _state(app) -> tuple:
    """What a failed restore must leave exactly as it was: every row, every transcript and media byte."""
    return _tables(app), _files(app.config["TRANSCRIPTS_DIR"]), _files(app.config["MEDIA_DIR"])


def _leftovers(app) -> list[str]:
    """Staging folders a restore left behind (there should be none)."""
    folders = [Path(app.config[key]) for key in ("TRANSCRIPTS_DIR", "MEDIA_DIR", "ENABLE_DATA_DIR")]
    return [p.name for folder in folders for p in folder.iterdir() if p.name.startswith((".restore-", ".replaced-"))]


def _backup(app, path: Path) -> Path:
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _rewrite(source: Path, target: Path, manifest=None, extra: dict[str, bytes] | None = None) -> Path:
    """A copy of the archive with another manifest and/or extra members."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode()
            dst.writestr(info, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return target


def _revision(app) -> str | None:
    with app.app_context(), db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _assert_migrated(app) -> None:
    """alembic_version at head, the schema the models describe, and `flask db upgrade` succeeds (a no-op)."""
    assert _revision(app) == HEAD
    with app.app_context(), db.engine.connect() as conn:
        opts = {"compare_type": True, "include_object": include_object}
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata) == []
    with _loggers_kept():
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert _revision(app) == HEAD


@pytest.fixture
def live(app, users, tmp_path):
    """A populated site, its backup, and then one more change (so a restore that went ahead would show)."""
    _populate(app)
    path = _backup(app, tmp_path / "backup.zip")
    with app.app_context():
        db.session.add(AuditEvent(action="after.backup"))
        db.session.commit()
    assert _files(app.config["TRANSCRIPTS_DIR"]) and _files(app.config["MEDIA_DIR"])
    return app, path


def test_a_zip_slip_archive_is_refused_before_anything_changes(live, tmp_path):
    app, path = live
    before = _state(app)
    hostile = _rewrite(path, tmp_path / "hostile.zip", extra={"transcripts/../../escaped.txt": b"pwned"})
    result = app.test_cli_runner().invoke(args=["restore", str(hostile), "--force"])
    assert result.exit_code != 0 and "outside its folders" in result.output and "Traceback" not in result.output
    assert _state(app) == before and _leftovers(app) == []
    assert not list(tmp_path.rglob("escaped.txt"))


def _corrupt(source: Path, target: Path, member_prefix: str) -> Path:
    """A copy of the archive with bytes in the middle of a member's data flipped (its CRC no longer matches)."""
    shutil.copyfile(source, target)
    with zipfile.ZipFile(target) as zf:
        info = next(i for i in zf.infolist() if i.filename.startswith(member_prefix) and i.compress_size > 64)
    data = bytearray(target.read_bytes())
    header = info.header_offset
    name_len = int.from_bytes(data[header + 26:header + 28], "little")
    extra_len = int.from_bytes(data[header + 28:header + 30], "little")
    start = header + 30 + name_len + extra_len + info.compress_size // 2
    for i in range(start, start + 16):
        data[i] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("member", ["media/", "database/"])
def test_a_corrupt_archive_is_refused_and_the_site_is_untouched(live, tmp_path, member):
    app, path = live
    before = _state(app)
    damaged = _corrupt(path, tmp_path / "damaged.zip", member)
    result = app.test_cli_runner().invoke(args=["restore", str(damaged), "--force"])
    assert result.exit_code != 0, result.output
    assert "damaged" in result.output and "Traceback" not in result.output
    assert _state(app) == before and _leftovers(app) == []
    # ... and the intact backup still restores over it.
    good = app.test_cli_runner().invoke(args=["restore", str(path), "--force"])
    assert good.exit_code == 0, good.output
    assert [e for e in _tables(app)["audit_event"] if e["action"] == "after.backup"] == []


def test_a_restored_database_is_migrated_and_db_upgrade_is_a_no_op(live, tmp_path):
    app, path = live
    fresh = create_app(base_config(tmp_path / "fresh"))  # an empty database file
    try:
        result = fresh.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        _assert_migrated(fresh)
        assert _hits(fresh, "price") != []
    finally:
        with fresh.app_context():
            db.engine.dispose()


def test_a_backup_of_a_newer_or_unmigrated_database_is_refused(live, tmp_path):
    app, path = live
    before = _state(app)
    cli = app.test_cli_runner()

    def revision(value):
        return lambda manifest: {**manifest, "database": {**manifest["database"], "revision": value}}

    newer = _rewrite(path, tmp_path / "newer.zip", manifest=revision("0042_from_the_future"))
    result = cli.invoke(args=["restore", str(newer), "--force"])
    assert result.exit_code != 0 and "newer version of Enable" in result.output and "0042_from_the_future" in \
        result.output
    unmigrated = _rewrite(path, tmp_path / "none.zip", manifest=revision(None))
    result = cli.invoke(args=["restore", str(unmigrated), "--force"])
    assert result.exit_code != 0 and "flask db upgrade" in result.output
    unknown_table = _rewrite(path, tmp_path / "table.zip",
                             manifest=lambda m: {**m, "tables": {**m["tables"], "spaceship": 1}})
    result = cli.invoke(args=["restore", str(unknown_table), "--force"])
    assert result.exit_code != 0 and "spaceship" in result.output
    assert _state(app) == before


def _old_site(tmp_path, revision: str):
    """A site whose database is at an older migration (as made by an earlier version of Enable), with a user."""
    from tests.factories import make_user

    app = create_app(base_config(tmp_path / "old"))
    with app.app_context(), _loggers_kept():
        upgrade(revision=revision)
    with app.app_context():
        make_user(email="old@example.test", name="Old Timer")
        db.session.commit()
    return app


def test_an_older_sqlite_backup_is_restored_then_upgraded_to_head(tmp_path):
    old = _old_site(tmp_path, "0006_learning")
    path = _backup(old, tmp_path / "old.zip")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["database"]["revision"] == "0006_learning" and "api_token" not in manifest["tables"]
    fresh = create_app(base_config(tmp_path / "new"))
    try:
        result = fresh.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        assert "upgraded from revision 0006_learning" in result.output
        _assert_migrated(fresh)
        assert [u["email"] for u in _tables(fresh)["user"]] == ["old@example.test"]
    finally:
        for app in (old, fresh):
            with app.app_context():
                db.engine.dispose()


def test_a_backup_lists_the_files_its_database_refers_to_but_could_not_hold(app, users, tmp_path):
    _populate(app)
    media = Path(app.config["MEDIA_DIR"])
    with app.app_context():
        call = db.session.scalars(select(Call)).one()
        call_id, media_path = call.id, call.media_path
    (media / media_path).unlink()  # as if the call were deleted between the snapshot and the copy
    (Path(app.config["TRANSCRIPTS_DIR"]) / f"{call_id}.json").unlink()
    (media / "orphan.ogg").write_bytes(b"not referred to by any row")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b.zip")])
    assert result.exit_code == 0, result.output
    assert f"media/{media_path}" in result.output and f"transcripts/{call_id}.json" in result.output
    assert "missing" in result.output
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = zf.namelist()
        assert f"media/{media_path}" in zf.read("README.txt").decode()
    assert manifest["missing"] == {"media": [media_path], "transcripts": [f"{call_id}.json"]}
    assert f"transcripts/{call_id}.vtt" in names and f"transcripts/{call_id}.json" not in names
    assert "media/orphan.ogg" not in names  # only the files the database snapshot refers to


@pytest.mark.postgres
def test_a_backup_restores_into_an_empty_postgres_database_with_postgres_search(app, users, own_postgres, tmp_path):
    _populate(app)
    path = _backup(app, tmp_path / "lite.zip")
    target = create_app(base_config(tmp_path / "pg", SQLALCHEMY_DATABASE_URI=own_postgres, SEARCH_BACKEND="postgres"))
    try:
        result = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert result.exit_code == 0, result.output
        _assert_migrated(target)
        assert _tables(target)["call"] == _tables(app)["call"]
        assert _hits(target, "price") == _hits(app, "price") != []
        # An older backup cannot go into PostgreSQL row by row (its rows fit an older schema): a clear refusal.
        old = _old_site(tmp_path, "0006_learning")
        old_path = _backup(old, tmp_path / "old.zip")
        with old.app_context():
            db.engine.dispose()
        before = _tables(target)
        refused = target.test_cli_runner().invoke(args=["restore", str(old_path), "--force"])
        assert refused.exit_code != 0 and "older version of Enable" in refused.output
        assert _tables(target) == before
    finally:
        with target.app_context():
            db.session.remove()
            db.engine.dispose()
