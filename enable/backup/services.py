"""Full export, backup and restore of a site: the database, the transcript store and (backups) the media files.

Archives are zip files:
  manifest.json            what is inside: kind, time, database dialect and revision, row count per table, files
  README.txt               the same in words
  tables/<table>.json      every table (export; backup of a non-SQLite database): {"table", "columns", "rows"}
  database/enable.sqlite3  backup of a SQLite database, copied with SQLite's online backup API
  transcripts/...          every file of TRANSCRIPTS_DIR
  media/...                every file of MEDIA_DIR (backup only)
  secret_key               the generated secret key of the data folder (backup only, when there is one)

An export leaves secrets out (password hashes, API token hashes, webhook signing secrets); a backup keeps
everything, so keep backups as safe as the server. The database is read from one consistent snapshot: a copy made
with SQLite's online backup API, or a REPEATABLE READ transaction on PostgreSQL, so the site may run meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Connection, create_engine, inspect, select, text

from enable.backup import tables
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
EXPORT = "enable-export"
BACKUP = "enable-backup"
SQLITE_NAME = "database/enable.sqlite3"
MANIFEST = "manifest.json"


class RestoreRefused(UserError):
    """The archive cannot be restored here, or restoring would overwrite data without --force."""


@dataclass
class ArchiveReport:
    """What an archive holds."""

    kind: str
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        files = ", ".join(f"{n} {name} files" for name, n in self.files.items())
        return f"{len(self.tables)} tables, {sum(self.tables.values())} rows, {files}"


# Reading a consistent snapshot ----------------------------------------------------------------------------------------

def _sqlite_path() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).resolve()


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API: a consistent copy while others write."""
    src = sqlite3.connect(source, timeout=30)  # read-write open: a read-only one fails on a WAL file without -shm
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # all pages in one step: one snapshot
    finally:
        dst.close()
        src.close()


@contextlib.contextmanager
def snapshot(workdir: Path) -> Iterator[tuple[Connection, Path | None]]:
    """A connection reading one consistent state of the database, and the SQLite copy it reads (None otherwise)."""
    source = _sqlite_path()
    if source is not None:
        copy = workdir / "snapshot.sqlite3"
        copy_sqlite(source, copy)
        engine = create_engine(f"sqlite:///{copy}")
        try:
            with engine.connect() as conn:
                yield conn, copy
        finally:
            engine.dispose()
        return
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn, None


def _revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


# Writing archives -------------------------------------------------------------------------------------------------

def _file_roots(include_media: bool) -> dict[str, Path]:
    cfg = current_app.config
    roots = {"transcripts": Path(cfg["TRANSCRIPTS_DIR"])}
    if include_media:
        roots["media"] = Path(cfg["MEDIA_DIR"])
    return roots


def _add_files(zf: zipfile.ZipFile, name: str, root: Path) -> int:
    count = 0
    if not root.is_dir():
        return 0
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            zf.write(path, f"{name}/{path.relative_to(root).as_posix()}", compress_type=zipfile.ZIP_STORED
                     if path.suffix.lower() in _COMPRESSED else zipfile.ZIP_DEFLATED)
        except FileNotFoundError:  # deleted while we were copying: it is no longer part of the site
            continue
        count += 1
    return count


_COMPRESSED = {".ogg", ".opus", ".mp3", ".m4a", ".mp4", ".webm", ".flac", ".zip", ".gz", ".png", ".jpg", ".pdf"}


def _readme(report: ArchiveReport, manifest: dict[str, Any]) -> str:
    lines = [f"Enable {'backup' if report.kind == BACKUP else 'export'} made {manifest['created_at']}.", ""]
    if report.kind == EXPORT:
        lines += ["tables/<table>.json holds every table of the database as JSON: {\"table\", \"columns\", \"rows\"};",
                  "dates and times are ISO 8601 in UTC. transcripts/ holds every transcript file (<call id>.json",
                  "with timed words, and .vtt subtitles).", "",
                  "Secrets are left out: password hashes, API token hashes and webhook signing secrets",
                  "(see \"left_out\" in manifest.json and in each table file)."]
    else:
        lines += ["A full backup for `flask --app wsgi restore PATH`: the database (database/enable.sqlite3, or",
                  "tables/*.json for PostgreSQL), transcripts/, media/ (the recordings) and the secret key.",
                  "It contains password hashes and signing secrets: keep it as safe as the server."]
    lines += ["", "Rows per table:"] + [f"  {name}: {n}" for name, n in report.tables.items()]
    return "\n".join(lines) + "\n"


def write_archive(out: IO[bytes], kind: str) -> ArchiveReport:
    """Write an export (secrets left out) or a backup (everything) of this site as a zip to `out`."""
    report = ArchiveReport(kind=kind)
    data_dir = Path(current_app.config["ENABLE_DATA_DIR"])
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".archive-") as work, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        with snapshot(Path(work)) as (conn, sqlite_copy):
            revision = _revision(conn)
            dialect = db.engine.dialect.name
            for table in db.metadata.sorted_tables:
                if kind == BACKUP and sqlite_copy is not None:
                    report.tables[table.name] = tables.count_rows(conn, table)
                    continue
                with zf.open(f"tables/{table.name}.json", "w", force_zip64=True) as fh:
                    report.tables[table.name] = tables.write_table(conn, table, fh, redact=kind == EXPORT)
                if kind == EXPORT and (left := tables.secret_columns(table)):
                    report.left_out[table.name] = left
        if kind == BACKUP and sqlite_copy is not None:
            zf.write(sqlite_copy, SQLITE_NAME)
        for name, root in _file_roots(include_media=kind == BACKUP).items():
            report.files[name] = _add_files(zf, name, root)
        secret = data_dir / "secret_key"
        if kind == BACKUP and secret.is_file():
            zf.write(secret, "secret_key")
        manifest = {"format": kind, "version": FORMAT_VERSION, "created_at": utcnow().isoformat(),
                    "database": {"dialect": dialect, "revision": revision,
                                 "layout": "sqlite" if kind == BACKUP and sqlite_copy is not None else "tables"},
                    "tables": report.tables, "files": report.files, "left_out": report.left_out}
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
        zf.writestr("README.txt", _readme(report, manifest))
    log.info("%s written: %s", kind, report.summary())
    return report


def write_archive_file(path: Path, kind: str) -> ArchiveReport:
    """Write the archive to `path` atomically (a partial file never takes its name)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(_("%(path)s is a folder; give a file name such as enable-backup.zip.", path=str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as fh:
            report = write_archive(fh, kind)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return report


# Restoring --------------------------------------------------------------------------------------------------------

def _has_data(conn: Connection) -> bool:
    present = set(inspect(conn).get_table_names())
    return any(conn.execute(select(text("1")).select_from(table).limit(1)).first() is not None
               for table in db.metadata.sorted_tables if table.name in present)


def _files_in(zf: zipfile.ZipFile, prefix: str) -> list[zipfile.ZipInfo]:
    return [i for i in zf.infolist() if i.filename.startswith(prefix + "/") and not i.is_dir()]


def _safe_target(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if root.resolve() not in target.parents:
        raise RestoreRefused(_("The archive holds a file outside its folders (%(name)s); it is not an Enable "
                               "backup.", name=relative))
    return target


def _restore_files(zf: zipfile.ZipFile, name: str, root: Path, replace: bool) -> int:
    members = _files_in(zf, name)
    if replace and root.is_dir():
        for child in root.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    root.mkdir(parents=True, exist_ok=True)
    for info in members:
        target = _safe_target(root, info.filename[len(name) + 1:])
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
    return len(members)


def _table_rows(zf: zipfile.ZipFile, table_name: str) -> list[dict[str, Any]]:
    with zf.open(f"tables/{table_name}.json") as fh:
        return json.load(fh)["rows"]


def _load_rows(zf: zipfile.ZipFile, manifest: dict[str, Any], work: Path) -> None:
    """Insert every table's rows into the (empty) configured database, from table files or a SQLite copy."""
    source_engine = None
    if manifest["database"]["layout"] == "sqlite":
        copy = work / "restore.sqlite3"
        with zf.open(SQLITE_NAME) as src, open(copy, "wb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        source_engine = create_engine(f"sqlite:///{copy}")
    try:
        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
            for table in db.metadata.sorted_tables:
                if table.name not in manifest["tables"]:
                    continue
                if source_engine is not None:
                    with source_engine.connect() as src:
                        rows = (dict(r) for r in src.execute(select(table)).mappings())
                        tables.insert_rows(conn, table, rows)
                else:
                    tables.insert_rows(conn, table, iter(tables.decode_rows(table, _table_rows(zf, table.name))))
            tables.reset_sequences(conn, db.metadata)
            revision = manifest["database"].get("revision")
            if revision and inspect(conn).has_table("alembic_version"):
                conn.execute(text("DELETE FROM alembic_version"))
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})
    finally:
        if source_engine is not None:
            source_engine.dispose()


def _replace_sqlite(zf: zipfile.ZipFile, target: Path, work: Path) -> None:
    """Put the archived SQLite database in place of the site's, with the backup API (WAL files stay coherent)."""
    copy = work / "restore.sqlite3"
    with zf.open(SQLITE_NAME) as src, open(copy, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    check = sqlite3.connect(copy)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        check.close()
    if not ok:
        raise RestoreRefused(_("The database in this backup is damaged (integrity check failed); nothing was "
                               "restored."))
    db.session.remove()
    db.engine.dispose()
    source = sqlite3.connect(copy)
    destination = sqlite3.connect(target, timeout=30)
    try:
        with destination:
            source.backup(destination)
    finally:
        destination.close()
        source.close()


@dataclass
class RestoreReport:
    tables: dict[str, int]
    files: dict[str, int]
    bites_indexed: int

    def summary(self) -> str:
        files = ", ".join(f"{n} {name} files" for name, n in self.files.items())
        return f"restored {len(self.tables)} tables ({sum(self.tables.values())} rows), {files}; " \
               f"search index rebuilt with {self.bites_indexed} bites"


def read_manifest(zf: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except (KeyError, ValueError) as e:
        raise RestoreRefused(_("This file is not an Enable backup (no manifest.json inside).")) from e
    if manifest.get("format") != BACKUP:
        raise RestoreRefused(_("This archive is an export, which leaves out passwords and secrets; restore a backup "
                               "made with `flask backup` instead."))
    if manifest.get("version") != FORMAT_VERSION:
        raise RestoreRefused(_("This backup was made by another version of Enable (format %(v)s).",
                               v=manifest.get("version")))
    return manifest


def restore_archive(path: Path, force: bool = False) -> RestoreReport:
    """Bring back a backup: the database, transcripts, media and secret key; then rebuild the search index.

    Refuses to overwrite a database that holds any row unless `force`. Stop the site and its workers first.
    """
    from enable.search.indexing import rebuild_index

    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise RestoreRefused(_("%(path)s is not a readable zip archive.", path=str(path))) from e
    with zf:
        manifest = read_manifest(zf)
        with db.engine.connect() as conn:
            if _has_data(conn) and not force:
                raise RestoreRefused(_("The database already holds data; restoring would replace it. Run again with "
                                       "--force to replace it."))
        db.metadata.create_all(db.engine)
        cfg = current_app.config
        data_dir = Path(cfg["ENABLE_DATA_DIR"])
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".restore-") as work:
            target = _sqlite_path()
            if manifest["database"]["layout"] == "sqlite" and target is not None:
                _replace_sqlite(zf, target, Path(work))
            else:
                _load_rows(zf, manifest, Path(work))
        files = {name: _restore_files(zf, name, root, replace=True)
                 for name, root in _file_roots(include_media=True).items()}
        if "secret_key" in zf.namelist():
            secret = data_dir / "secret_key"
            secret.write_bytes(zf.read("secret_key"))
            secret.chmod(0o600)
    db.session.remove()
    report = rebuild_index()
    db.session.commit()
    return RestoreReport(tables=dict(manifest["tables"]), files=files, bites_indexed=report.bites)
