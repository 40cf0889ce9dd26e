"""Full export, backup and restore of a site: the database, the transcript store and (backups) the media files.

Archives are zip files:
  manifest.json            what is inside: kind, time, database dialect and revision, row count per table, files
  README.txt               the same in words
  tables/<table>.json      every table (export; backup of a non-SQLite database): {"table", "columns", "rows"}
  database/enable.sqlite3  backup of a SQLite database, copied with SQLite's online backup API
  transcripts/...          the transcript files of every call in the database snapshot (TRANSCRIPTS_DIR)
  media/...                the recording of every call and every uploaded asset file (MEDIA_DIR; backup only)
  secret_key               the generated secret key of the data folder (backup only, when there is one)

An export leaves secrets out (password hashes, API token hashes, webhook signing secrets); a backup keeps
everything, so keep backups as safe as the server. The database is read from one consistent snapshot: a copy made
with SQLite's online backup API, or a REPEATABLE READ transaction on PostgreSQL, so the site may run meanwhile.
The files copied are the ones that snapshot refers to; any that are gone by then (a call deleted meanwhile) are
listed under "missing" in the manifest.

A restore checks the whole archive before it changes anything (every member's path and kind, the manifest, the
format, the tables, the migration revision, the declared sizes against RESTORE_MAX_MB and the free space: see
members.py), extracts the files into staging folders, replaces the database, and
only then swaps the files into place with renames; when anything fails, the database and files stay as they were.
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
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Connection, create_engine, inspect, select, text

from enable.backup import tables
from enable.backup.members import SMALL_MEMBER, Budget, RestoreRefused, check_kind, check_names, check_space
from enable.calls.models import CallStatus
from enable.calls.services import INCOMING
from enable.db import utcnow
from enable.errors import StorageFull, UserError, is_disk_full
from enable.extensions import db

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
EXPORT = "enable-export"
BACKUP = "enable-backup"
SQLITE_NAME = "database/enable.sqlite3"
MANIFEST = "manifest.json"
README = "README.txt"
SECRET_KEY_FILE = "secret_key"  # noqa: S105  (a file name, not a secret)
STAGING = ".restore-"  # prefix of the staging folders a restore makes inside the transcript and media folders
REPLACED = ".replaced-"  # prefix of the folder the files being replaced are moved to until the swap is done
# Entries of a folder that a restore keeps: uploads in progress, and the sample transcripts that ship with Enable.
KEEP = {"media": {INCOMING}, "transcripts": {"samples"}}
TRANSCRIBED = {CallStatus.SLICING, CallStatus.INDEXING, CallStatus.READY}  # calls that must have a transcript


@dataclass
class ArchiveReport:
    """What an archive holds."""

    kind: str
    tables: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)
    left_out: dict[str, list[str]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)  # files the snapshot refers to that were gone

    def summary(self) -> str:
        files = ", ".join(f"{n} {name} files" for name, n in self.files.items())
        text = f"{len(self.tables)} tables, {sum(self.tables.values())} rows, {files}"
        if gone := sum(len(names) for names in self.missing.values()):
            text += f"; {gone} files the database refers to were missing (listed in manifest.json)"
        return text


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


def _referenced_files(conn: Connection, include_media: bool) -> dict[str, list[tuple[str, bool]]]:
    """The files the database (snapshot) refers to, per folder: (path relative to the folder, must exist).

    Transcripts: <call id>.json and .vtt of every call (needed once the call was transcribed); media: the recording
    of every call and the file of every uploaded asset.
    """
    present = set(inspect(conn).get_table_names())
    refs: dict[str, list[tuple[str, bool]]] = {"transcripts": []}
    media: dict[str, bool] = {}
    if "call" in present:
        call = db.metadata.tables["call"]
        for call_id, media_path, status in conn.execute(
                select(call.c.id, call.c.media_path, call.c.status).order_by(call.c.id)):
            needed = status in TRANSCRIBED
            refs["transcripts"] += [(f"{call_id}.json", needed), (f"{call_id}.vtt", needed)]
            if media_path:
                media[media_path] = True
    if "asset" in present:
        asset = db.metadata.tables["asset"]
        for (file_path,) in conn.execute(select(asset.c.file_path).where(asset.c.file_path.is_not(None))
                                         .order_by(asset.c.id)):
            media[file_path] = True
    if include_media:
        refs["media"] = sorted(media.items())
    return refs


def _add_files(zf: zipfile.ZipFile, name: str, root: Path, refs: list[tuple[str, bool]]) -> tuple[int, list[str]]:
    """Copy the referenced files of `root` into the archive under `name/`; return how many, and the needed ones
    that were not there."""
    count, missing = 0, []
    base = root.resolve()
    for relative, needed in refs:
        path = (root / relative).resolve()
        if not path.is_relative_to(base) or path.is_symlink():
            missing.append(relative)  # a path outside the folder is never copied
            continue
        try:
            zf.write(path, f"{name}/{Path(relative).as_posix()}", compress_type=zipfile.ZIP_STORED
                     if path.suffix.lower() in _COMPRESSED else zipfile.ZIP_DEFLATED)
        except (FileNotFoundError, IsADirectoryError):  # deleted since the snapshot (or never written)
            if needed:
                missing.append(relative)
            continue
        count += 1
    return count, missing


_COMPRESSED = {".ogg", ".opus", ".mp3", ".m4a", ".mp4", ".webm", ".flac", ".zip", ".gz", ".png", ".jpg", ".pdf"}


def _readme(report: ArchiveReport, manifest: dict[str, Any]) -> str:
    lines = [f"Enable {'backup' if report.kind == BACKUP else 'export'} made {manifest['created_at']}.", ""]
    if report.kind == EXPORT:
        lines += ["tables/<table>.json holds every table of the database as JSON: {\"table\", \"columns\", \"rows\"};",
                  "dates and times are ISO 8601 in UTC. transcripts/ holds the transcript of every call",
                  "(<call id>.json with timed words, and .vtt subtitles).", "",
                  "Secrets are left out: password hashes, API token hashes and webhook signing secrets",
                  "(see \"left_out\" in manifest.json and in each table file). Voice profiles (how users sound)",
                  "are personal data: left out unless the export was made with --with-voice-profiles."]
    else:
        lines += ["A full backup for `flask --app wsgi restore PATH`: the database (database/enable.sqlite3, or",
                  "tables/*.json for PostgreSQL), transcripts/, media/ (the recordings) and the secret key.",
                  "It contains password hashes and signing secrets: keep it as safe as the server."]
    lines += ["", "Rows per table:"] + [f"  {name}: {n}" for name, n in report.tables.items()]
    if report.missing:
        lines += ["", "Files the database refers to that were missing when the backup was made:"]
        lines += [f"  {name}/{path}" for name, paths in report.missing.items() for path in paths]
    return "\n".join(lines) + "\n"


def write_archive(out: IO[bytes], kind: str, personal: bool = False) -> ArchiveReport:
    """Write an export (secrets left out, and voice profiles unless `personal`) or a backup (everything) of this
    site as a zip to `out`."""
    report = ArchiveReport(kind=kind)
    data_dir = Path(current_app.config["ENABLE_DATA_DIR"])
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=".archive-") as work, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        with snapshot(Path(work)) as (conn, sqlite_copy):
            revision = _revision(conn)
            dialect = db.engine.dialect.name
            refs = _referenced_files(conn, include_media=kind == BACKUP)
            present = set(inspect(conn).get_table_names())  # a database behind this code's migrations lacks some
            for table in db.metadata.sorted_tables:
                if table.name not in present:
                    continue
                if kind == EXPORT and not personal and table.name in tables.PERSONAL_TABLES:
                    report.left_out[table.name] = ["*"]  # the whole table
                    continue
                if kind == BACKUP and sqlite_copy is not None:
                    report.tables[table.name] = tables.count_rows(conn, table)
                    continue
                with zf.open(f"tables/{table.name}.json", "w", force_zip64=True) as fh:
                    report.tables[table.name] = tables.write_table(conn, table, fh, redact=kind == EXPORT)
                if kind == EXPORT and (left := tables.secret_columns(table)):
                    report.left_out[table.name] = left
        if kind == BACKUP and sqlite_copy is not None:
            zf.write(sqlite_copy, SQLITE_NAME)
        # The files the snapshot refers to; one removed since (its call deleted meanwhile) is listed as missing.
        for name, root in _file_roots(include_media=kind == BACKUP).items():
            report.files[name], missing = _add_files(zf, name, root, refs[name])
            if missing:
                report.missing[name] = missing
        secret = data_dir / SECRET_KEY_FILE
        if kind == BACKUP and secret.is_file():
            zf.write(secret, SECRET_KEY_FILE)
        manifest = {"format": kind, "version": FORMAT_VERSION, "created_at": utcnow().isoformat(),
                    "database": {"dialect": dialect, "revision": revision,
                                 "layout": "sqlite" if kind == BACKUP and sqlite_copy is not None else "tables"},
                    "tables": report.tables, "files": report.files, "missing": report.missing,
                    "left_out": report.left_out}
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
        zf.writestr(README, _readme(report, manifest))
    log.info("%s written: %s", kind, report.summary())
    return report


def write_archive_file(path: Path, kind: str, personal: bool = False) -> ArchiveReport:
    """Write the archive to `path` atomically (a partial file never takes its name)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(_("%(path)s is a folder; give a file name such as enable-backup.zip.", path=str(path)))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as fh:
            report = write_archive(fh, kind, personal)
        os.replace(partial, path)
    except OSError as e:
        if not is_disk_full(e):
            raise
        raise StorageFull(_("The archive %(path)s could not be written: %(why)s. Nothing was left behind; free disk "
                            "space where it goes and in the data folder (which holds a working copy meanwhile), then "
                            "try again.", path=str(path), why=e.strerror or str(e))) from e
    finally:
        partial.unlink(missing_ok=True)
    return report


# Restoring --------------------------------------------------------------------------------------------------------

def _has_data(conn: Connection) -> bool:
    present = set(inspect(conn).get_table_names())
    return any(conn.execute(select(text("1")).select_from(table).limit(1)).first() is not None
               for table in db.metadata.sorted_tables if table.name in present)


def _safe_target(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if root.resolve() not in target.parents:
        raise RestoreRefused(_("The archive holds a file outside its folders (%(name)s); it is not an Enable "
                               "backup.", name=relative))
    return target


def read_manifest(zf: zipfile.ZipFile, budget: Budget) -> dict[str, Any]:
    try:
        info = zf.getinfo(MANIFEST)
        check_kind(info)
        with zf.open(info) as fh:
            manifest = json.loads(budget.read(fh, info, most=SMALL_MEMBER))
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise RestoreRefused(_("This file is not an Enable backup (no readable manifest.json inside).")) from e
    if not isinstance(manifest, dict) or manifest.get("format") not in (BACKUP, EXPORT):
        raise RestoreRefused(_("This file is not an Enable backup (its manifest.json is not one)."))
    if manifest.get("format") != BACKUP:
        raise RestoreRefused(_("This archive is an export, which leaves out passwords and secrets; restore a backup "
                               "made with `flask backup` instead."))
    if manifest.get("version") != FORMAT_VERSION:
        raise RestoreRefused(_("This backup was made by another version of Enable (format %(v)s).",
                               v=manifest.get("version")))
    database = manifest.get("database")
    counts = manifest.get("tables")
    if not isinstance(database, dict) or database.get("layout") not in ("sqlite", "tables") \
            or not isinstance(counts, dict) or not all(isinstance(n, int) for n in counts.values()):
        raise RestoreRefused(_("The manifest.json of this backup is incomplete; it cannot be restored."))
    return manifest


@dataclass
class _Plan:
    """What a checked archive holds: its file members per folder, and the sizes to extract."""

    files: dict[str, list[zipfile.ZipInfo]]
    table_members: list[str]
    sizes: dict[str, int]  # declared bytes per destination: "transcripts", "media", "database"


def _check_members(zf: zipfile.ZipFile, manifest: dict[str, Any]) -> _Plan:
    """Check every member of the archive before anything is changed: each name must be one an Enable backup
    writes, every file path must stay inside its folder, every table must be known here and present."""
    known_tables = set(db.metadata.tables)
    unknown = sorted(set(manifest["tables"]) - known_tables)
    if unknown:
        raise RestoreRefused(_("This backup holds tables this version of Enable does not know (%(names)s); restore "
                               "it with a newer version.", names=", ".join(unknown)))
    files: dict[str, list[zipfile.ZipInfo]] = {"transcripts": [], "media": []}
    table_members: list[str] = []
    sizes = {"transcripts": 0, "media": 0, "database": 0}
    names = set()
    check_names(zf.infolist())
    for info in zf.infolist():
        check_kind(info)
        name = info.filename
        names.add(name)
        folder, _sep, relative = name.partition("/")
        if info.is_dir():
            if folder in files and relative:
                _safe_target(Path("/restore") / folder, relative)
            continue
        if folder in files and relative:
            _safe_target(Path("/restore") / folder, relative)  # refuses ../, absolute paths and the like
            files[folder].append(info)
            sizes[folder] += info.file_size
        elif folder == "tables" and relative.endswith(".json") and relative[:-5] in known_tables \
                and "/" not in relative:
            table_members.append(name)
            sizes["database"] += info.file_size
        elif name == SQLITE_NAME:
            sizes["database"] += info.file_size
        elif name in (MANIFEST, README, SECRET_KEY_FILE):
            if info.file_size > SMALL_MEMBER:
                raise RestoreRefused(_("The archive's %(name)s is %(size)s MB, far larger than an Enable backup "
                                       "writes it; nothing was restored.", name=name, size=info.file_size // 2**20))
            sizes["database"] += info.file_size
        else:
            raise RestoreRefused(_("The archive holds %(name)s, which an Enable backup never holds; it is not "
                                   "restored.", name=name))
    layout = manifest["database"]["layout"]
    if layout == "sqlite" and SQLITE_NAME not in names:
        raise RestoreRefused(_("This backup has no database file (%(name)s); it cannot be restored.",
                               name=SQLITE_NAME))
    if layout == "tables":
        absent = [t for t in manifest["tables"] if f"tables/{t}.json" not in names]
        if absent:
            raise RestoreRefused(_("This backup lacks the rows of %(names)s; it cannot be restored.",
                                   names=", ".join(sorted(absent))))
    return _Plan(files=files, table_members=table_members, sizes=sizes)


def _migrations() -> tuple[set[str], str | None]:
    """Every migration revision this code knows, and the newest (head)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return {s.revision for s in script.walk_revisions()}, script.get_current_head()


def _check_revision(manifest: dict[str, Any], into_sqlite_file: bool) -> tuple[str, str]:
    """The backup's migration revision and this code's head, or a refusal when the schema cannot be brought here."""
    known, newest = _migrations()
    if newest is None:
        raise RestoreRefused(_("This installation has no database migrations; it cannot restore a backup."))
    head: str = newest
    revision = manifest["database"].get("revision")
    if not revision:
        raise RestoreRefused(_("This backup does not say which database migration it was made at (its database "
                               "was not created with `flask db upgrade`); it cannot be restored safely."))
    if revision not in known:
        raise RestoreRefused(_("This backup was made by a newer version of Enable (database revision %(rev)s, "
                               "unknown here); upgrade Enable to that version or later, then restore.", rev=revision))
    if revision != head and not into_sqlite_file:
        raise RestoreRefused(_("This backup was made by an older version of Enable (database revision %(rev)s; "
                               "this version is at %(head)s). Restore it with the version that made it, run `flask "
                               "db upgrade`, and make a new backup; or restore it into a SQLite database, where "
                               "it is upgraded for you.", rev=revision, head=head))
    return revision, head


def _target_state(head: str) -> str:
    """"empty" (no table of Enable yet), "current" (migrated to head), or a refusal."""
    with db.engine.connect() as conn:
        present = set(inspect(conn).get_table_names())
        if not present & set(db.metadata.tables):
            return "empty"
        current = _revision(conn)
    if current != head:
        raise RestoreRefused(_("The database here is not at this version's schema (revision %(rev)s, expected "
                               "%(head)s); run `flask db upgrade` first, or restore into an empty database.",
                               rev=current or "none", head=head))
    return "current"


@contextlib.contextmanager
def _loggers_kept() -> Iterator[None]:
    """Alembic's env.py reconfigures logging from alembic.ini (disabling every logger made so far): undo that."""
    manager = logging.Logger.manager
    before = {name: lg.disabled for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        for name, disabled in before.items():
            logging.getLogger(name).disabled = disabled


def migrate_to_head() -> None:
    """Run the migrations (flask_migrate.upgrade) on the configured database; a failure is a RestoreRefused."""
    from flask_migrate import upgrade

    db.session.remove()
    db.engine.dispose()
    try:
        with _loggers_kept():
            upgrade()
    except SystemExit as e:  # flask_migrate reports a failed migration by exiting
        raise RestoreRefused(_("The database migrations failed; see the log above.")) from e
    finally:
        db.engine.dispose()


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: Budget) -> None:
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            budget.copy(src, dst, info)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:  # a bad CRC, a truncated member
        raise RestoreRefused(_("The backup is damaged (%(name)s cannot be read: %(why)s); nothing was restored.",
                               name=info.filename, why=str(e))) from e


def _stage_files(zf: zipfile.ZipFile, name: str, root: Path, members: list[zipfile.ZipInfo],
                 budget: Budget) -> Path:
    """Extract the archive's `name/` files into a new staging folder inside `root` (same file system: renames)."""
    root.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=root, prefix=STAGING))
    try:
        for info in members:
            relative = info.filename[len(name) + 1:]
            if relative.split("/", 1)[0] in KEEP[name]:
                continue  # kept as it is here
            target = _safe_target(staged, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            _extract(zf, info, target, budget)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def _swap(root: Path, staged: Path, keep: set[str]) -> None:
    """Put the staged files in place of the folder's, with renames; on a failure, put everything back."""
    old = Path(tempfile.mkdtemp(dir=root, prefix=REPLACED))
    moved_out: list[str] = []
    moved_in: list[str] = []
    try:
        for entry in sorted(root.iterdir()):
            if entry.name in keep or entry.name.startswith((STAGING, REPLACED)):
                continue
            os.rename(entry, old / entry.name)
            moved_out.append(entry.name)
        for entry in sorted(staged.iterdir()):
            os.rename(entry, root / entry.name)
            moved_in.append(entry.name)
    except OSError:
        for name in moved_in:
            os.rename(root / name, staged / name)
        for name in moved_out:
            os.rename(old / name, root / name)
        raise
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(staged, ignore_errors=True)


def _table_rows(zf: zipfile.ZipFile, table_name: str, budget: Budget) -> list[dict[str, Any]]:
    info = zf.getinfo(f"tables/{table_name}.json")
    with zf.open(info) as fh:
        return json.loads(budget.read(fh, info))["rows"]


def _load_rows(zf: zipfile.ZipFile, manifest: dict[str, Any], sqlite_copy: Path | None, budget: Budget) -> None:
    """In one transaction, replace every table's rows in the configured database (at this code's schema) with the
    archive's, from table files or the archived SQLite database; a failure leaves the database as it was."""
    source_engine = create_engine(f"sqlite:///{sqlite_copy}") if sqlite_copy is not None else None
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
                    rows_in = _table_rows(zf, table.name, budget)
                    tables.insert_rows(conn, table, iter(tables.decode_rows(table, rows_in)))
            tables.reset_sequences(conn, db.metadata)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, KeyError, TypeError) as e:
        raise RestoreRefused(_("The backup is damaged (%(why)s); nothing was restored.", why=str(e))) from e
    finally:
        if source_engine is not None:
            source_engine.dispose()


def _copy_sqlite_member(zf: zipfile.ZipFile, work: Path, budget: Budget) -> Path:
    """The archived SQLite database, extracted into `work` and checked."""
    copy = work / "restore.sqlite3"
    _extract(zf, zf.getinfo(SQLITE_NAME), copy, budget)
    check = sqlite3.connect(copy)
    try:
        ok = check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError:
        ok = False
    finally:
        check.close()
    if not ok:
        raise RestoreRefused(_("The database in this backup is damaged (integrity check failed); nothing was "
                               "restored."))
    return copy


def _sqlite_put(source: Path, target: Path) -> None:
    """Replace the SQLite database `target` with `source` through the backup API (WAL files stay coherent)."""
    db.session.remove()
    db.engine.dispose()
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=30)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


@dataclass
class RestoreReport:
    tables: dict[str, int]
    files: dict[str, int]
    bites_indexed: int
    revision: str | None = None
    upgraded_from: str | None = None
    missing: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        files = ", ".join(f"{n} {name} files" for name, n in self.files.items())
        text = f"restored {len(self.tables)} tables ({sum(self.tables.values())} rows), {files}; " \
               f"search index rebuilt with {self.bites_indexed} bites"
        if self.upgraded_from:
            text += f"; database upgraded from revision {self.upgraded_from} to {self.revision}"
        return text


def restore_archive(path: Path, force: bool = False) -> RestoreReport:
    """Bring back a backup: the database, transcripts, media and secret key; then rebuild the search index.

    Refuses to overwrite a database that holds any row unless `force`. Stop the site and its workers first.
    Everything is checked, and the files extracted into staging folders, before the database is replaced; the files
    are swapped into place only once it was. A refusal or failure leaves the database and the files as they were.
    """
    from enable.search.indexing import rebuild_index

    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise RestoreRefused(_("%(path)s is not a readable zip archive.", path=str(path))) from e
    cfg = current_app.config
    data_dir = Path(cfg["ENABLE_DATA_DIR"])
    roots = _file_roots(include_media=True)
    budget = Budget(int(cfg["RESTORE_MAX_MB"]) * 2**20)
    with zf:
        # 1. Check everything; nothing is changed yet.
        manifest = read_manifest(zf, budget)
        plan = _check_members(zf, manifest)
        target = _sqlite_path()
        into_sqlite_file = manifest["database"]["layout"] == "sqlite" and target is not None
        revision, head = _check_revision(manifest, into_sqlite_file)
        with db.engine.connect() as conn:
            if _has_data(conn) and not force:
                raise RestoreRefused(_("The database already holds data; restoring would replace it. Run again with "
                                       "--force to replace it."))
        state = "empty" if into_sqlite_file else _target_state(head)
        check_space({roots["transcripts"]: plan.sizes["transcripts"], roots["media"]: plan.sizes["media"],
                     data_dir: plan.sizes["database"]}, limit=int(cfg["RESTORE_MAX_MB"]) * 2**20)
        staged: dict[str, Path] = {}
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=STAGING) as work:
            try:
                # 2. Extract the files and the database into staging folders (reading checks every CRC).
                try:
                    for name, root in roots.items():
                        staged[name] = _stage_files(zf, name, root, plan.files[name], budget)
                    sqlite_copy = _copy_sqlite_member(zf, Path(work), budget) \
                        if manifest["database"]["layout"] == "sqlite" else None
                except OSError as e:  # a full disk, a name the file system refuses
                    raise RestoreRefused(_("The backup's files could not be written here (%(why)s); nothing was "
                                           "restored.", why=e.strerror or str(e))) from e
                # 3. Replace the database (on SQLite, keep the one replaced until the files are in place).
                previous = None
                if into_sqlite_file:
                    assert target is not None and sqlite_copy is not None  # a SQLite backup into a SQLite file
                    previous = Path(work) / "previous.sqlite3"
                    copy_sqlite(target, previous)
                    _sqlite_put(sqlite_copy, target)
                else:
                    if state == "empty":
                        migrate_to_head()
                    _load_rows(zf, manifest, sqlite_copy, budget)
                try:
                    if revision != head:  # an older backup in SQLite: bring its schema to this version's
                        migrate_to_head()
                    # 4. Swap the files into place.
                    for name, root in roots.items():
                        _swap(root, staged[name], KEEP[name])
                except BaseException:
                    if previous is not None and target is not None:
                        _sqlite_put(previous, target)
                    raise
            finally:
                for folder in staged.values():
                    shutil.rmtree(folder, ignore_errors=True)
        if SECRET_KEY_FILE in zf.namelist():
            secret = data_dir / SECRET_KEY_FILE
            partial = data_dir / (SECRET_KEY_FILE + ".partial")
            with zf.open(SECRET_KEY_FILE) as fh:
                partial.write_bytes(budget.read(fh, zf.getinfo(SECRET_KEY_FILE), most=SMALL_MEMBER))
            partial.chmod(0o600)
            os.replace(partial, secret)
    db.session.remove()
    report = rebuild_index()
    db.session.commit()
    return RestoreReport(tables=dict(manifest["tables"]), files={n: len(plan.files[n]) for n in roots},
                         bites_indexed=report.bites, revision=head,
                         upgraded_from=revision if revision != head else None,
                         missing=manifest.get("missing") or {})
