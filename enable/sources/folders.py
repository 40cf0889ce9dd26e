"""Drop folders (DROP_DIRS): each complete recording in one becomes a call once, then moves to `processed/`, or to
`failed/` with `<name>.reason.txt` beside it.

A file is complete when a `<name>.done` marker lies beside it, or its size has not changed for DROP_STABLE_S seconds
(a file already that old when first seen is complete at once). Metadata comes from a `<name>.json` sidecar, else the
folder's CSV manifest (`manifest.csv`, or the only .csv), else the file's name (DROP_REP_PATTERN). Each file is its
own unit of work (committed alone): a file that fails never stops the others. A full disk leaves the file where it
is, waiting, and it is tried again on the next scan; a file removed before it was read is recorded as removed.
Two scanners of one folder (the worker and `flask calls import-folder`) take turns on a lock file.

Symbolic links are never followed: a link in the folder is not a recording, a sidecar or a manifest; files are opened
with O_NOFOLLOW; a `processed/` or `failed/` that is a link is refused (the file stays, the reason says why). A file
that could not be moved out (a read-only share) is not imported again while its size and time stay the same. A name
that is not UTF-8 (cp1251 from an SMB share) is shown and recorded with replacement characters; the file itself is
read and moved under its own name.

This module runs as a job or command: it commits after each file, and queues each new call after its commit.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from enable import reasons
from enable.calls import services as calls
from enable.calls.models import Call
from enable.db import utcnow
from enable.errors import StorageFull, is_disk_full
from enable.extensions import db
from enable.sources import services
from enable.sources.metadata import MetadataUnreadable, RecordingMeta, meta_from_name, read_manifest, read_sidecar
from enable.sources.models import SourceFile, SourceStatus

log = logging.getLogger(__name__)

PROCESSED = "processed"
FAILED = "failed"
LOCK_NAME = ".enable-drop.lock"
PARTIAL_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".download", ".uploading")
MOVED = {SourceStatus.IMPORTED: PROCESSED, SourceStatus.UNASSIGNED: PROCESSED, SourceStatus.DUPLICATE: PROCESSED,
         SourceStatus.FAILED: FAILED}


@dataclass
class FileReport:
    """One file of a scan: its fate (a status, or "incomplete" / "would import" in a dry run) and why."""

    name: str
    fate: str
    reason: str | None = None
    call_id: int | None = None
    duration_s: float | None = None


@dataclass
class ScanReport:
    """What a scan of one folder did; `queue` holds the new calls to process."""

    folder: Path
    files: list[FileReport] = field(default_factory=list)
    queue: list[int] = field(default_factory=list)
    skipped: str | None = None  # why the folder was not scanned (missing, locked)

    def count(self, fate: str) -> int:
        return sum(1 for f in self.files if f.fate == fate)


OnFile = Callable[[int, int, FileReport], None]  # (number done, total, the file's report), for the CLI's progress


def drop_dirs() -> list[Path]:
    """The configured drop folders (DROP_DIRS, comma-separated)."""
    value = current_app.config.get("DROP_DIRS") or ""
    parts = value if isinstance(value, list | tuple) else str(value).split(",")
    return [Path(str(p).strip()).expanduser() for p in parts if str(p).strip()]


def is_recording_name(name: str) -> bool:
    """Whether a file name in a drop folder names a recording (not metadata, a marker, a partial or a hidden file)."""
    if name.startswith(".") or name.lower().endswith(PARTIAL_SUFFIXES):
        return False
    return Path(name).suffix.lower().lstrip(".") in calls.MEDIA_SUFFIXES


def display_name(name: str) -> str:
    """A file name as text for the database and the pages: bytes that are not UTF-8 (a cp1251 name from an SMB
    share, read by Python as surrogate escapes) become replacement characters. File operations keep the raw name."""
    return os.fsencode(name).decode("utf-8", "replace")


def _regular(path: Path) -> bool:
    """Whether path is a regular file itself (a symbolic link, even to a file, is not)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _listing(folder: Path) -> list[str]:
    """The recordings in the folder: regular files only, never what a symbolic link points to."""
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if e.is_file(follow_symlinks=False) and is_recording_name(e.name))


def shared_stems(names: list[str]) -> frozenset[str]:
    """The stems two or more recordings of a scan share (a.mp3 and a.wav)."""
    stems = [Path(n).stem for n in names]
    return frozenset(stem for stem in stems if stems.count(stem) > 1)


def _beside(folder: Path, name: str, suffix: str, shared: frozenset[str] = frozenset()) -> Path | None:
    """`<name><suffix>` or `<stem><suffix>` beside the file, if present as a regular file; the stem form only when no
    other recording shares the stem, in the folder now or in this scan's listing (`shared`): a.mp3 and a.wav each
    need their own a.mp3.json, a.wav.json."""
    full = folder / f"{name}{suffix}"
    if _regular(full):
        return full
    stem = Path(name).stem
    by_stem = folder / f"{stem}{suffix}"
    if _regular(by_stem) and stem not in shared and stem not in shared_stems(sorted({*_listing(folder), name})):
        return by_stem
    return None


def _manifest(folder: Path) -> Path | None:
    named = folder / "manifest.csv"
    if _regular(named):
        return named
    found = sorted(p for p in folder.glob("*.csv") if _regular(p))
    return found[0] if len(found) == 1 else None


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[bool]:
    """Hold the folder's scan lock; yields False when another scanner holds it."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as e:
        log.warning("drop folder %s: no lock file (%s); scanning unlocked", folder, e)
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _waiting_row(folder: str, name: str) -> SourceFile | None:
    return db.session.scalar(select(SourceFile).where(SourceFile.folder == folder, SourceFile.name == name,
                                                      SourceFile.status == SourceStatus.WAITING)
                             .order_by(SourceFile.id.desc()).limit(1))


def _unmoved_row(folder: str, name: str, st: os.stat_result) -> SourceFile | None:
    """The row of this very file when an earlier scan handled it but could not move it out of the folder (a
    read-only share, `processed` a plain file): same name, size and modification time. Not imported again."""
    rows = db.session.scalars(select(SourceFile).where(SourceFile.folder == folder, SourceFile.name == name,
                                                       SourceFile.status != SourceStatus.WAITING)
                              .order_by(SourceFile.id.desc()).limit(1))
    for row in rows:
        left = (row.details or {}).get("unmoved")
        if isinstance(left, dict) and left.get("size") == st.st_size and left.get("mtime_ns") == st.st_mtime_ns:
            return row
    return None


def _is_complete(path: Path, row: SourceFile | None, now: datetime, stable_s: float,
                 shared: frozenset[str] = frozenset()) -> tuple[bool, int]:
    """(complete, size): a `.done` marker, or a size unchanged for stable_s seconds. FileNotFoundError if gone."""
    st = path.stat(follow_symlinks=False)
    if _beside(path.parent, path.name, ".done", shared) is not None:
        return True, st.st_size
    modified = datetime.fromtimestamp(st.st_mtime, tz=now.tzinfo)
    if row is None or row.stable_since is None:
        return now - modified >= timedelta(seconds=stable_s), st.st_size
    if row.size_bytes != st.st_size:
        return False, st.st_size
    return now - max(row.stable_since, modified) >= timedelta(seconds=stable_s), st.st_size


def read_meta(folder: Path, name: str, manifest: dict[str, RecordingMeta], pattern: str,
              shared: frozenset[str] = frozenset()) -> RecordingMeta:
    """The metadata of one recording: its sidecar, then the manifest's row, then its name. MetadataUnreadable."""
    meta = RecordingMeta()
    sidecar = _beside(folder, name, ".json", shared)
    if sidecar is not None:
        meta = read_sidecar(sidecar)
    shown = display_name(name)
    if shown in manifest:
        meta.fill_from(manifest[shown])
    meta.fill_from(meta_from_name(shown, pattern))
    return meta


def scan_folder(folder: Path, *, now: datetime | None = None, stable_s: float | None = None,
                dry_run: bool = False, on_file: OnFile | None = None, queue: bool = True) -> ScanReport:
    """Import every complete recording of one drop folder (see the module's docstring); commits per file."""
    folder = folder.absolute()  # one name per folder, whether the watcher or the CLI scans it
    report = ScanReport(folder)
    if not folder.is_dir():
        report.skipped = _("The folder does not exist or is not a folder.")
        log.warning("drop folder %s: not a folder", folder)
        return report
    cfg = current_app.config
    stable = float(cfg["DROP_STABLE_S"]) if stable_s is None else stable_s
    pattern = str(cfg.get("DROP_REP_PATTERN") or "")
    with _folder_lock(folder) as locked:
        if not locked:
            report.skipped = _("Another scan of this folder is running.")
            return report
        names = _listing(folder)
        shared = shared_stems(names)
        manifest, manifest_problem = _read_manifest(folder, dry_run)
        if not dry_run:
            report.files.extend(_forget_vanished(str(folder), {display_name(n) for n in names}))
        for number, name in enumerate(names, start=1):
            try:
                file_report = _one_file(folder, name, manifest, manifest_problem, pattern, now or utcnow(), stable,
                                        dry_run, shared)
            except Exception as e:  # this file stays where it is; the others go on
                db.session.rollback()
                log.exception("drop folder %s: %s could not be handled", folder, display_name(name))
                file_report = FileReport(display_name(name), SourceStatus.WAITING.value,
                                         _("%(kind)s: %(why)s; tried again on the next scan.", kind=type(e).__name__,
                                           why=str(e)[:300]))
            report.files.append(file_report)
            if file_report.fate in (SourceStatus.IMPORTED.value, SourceStatus.UNASSIGNED.value) and \
                    file_report.call_id is not None and not dry_run:
                report.queue.append(file_report.call_id)
                if queue:
                    from enable import pipeline

                    pipeline.queue_call(file_report.call_id)
            if on_file is not None:
                on_file(number, len(names), file_report)
    return report


def _read_manifest(folder: Path, dry_run: bool) -> tuple[dict[str, RecordingMeta], str | None]:
    path = _manifest(folder)
    if path is None:
        return {}, None
    try:
        return read_manifest(path), None
    except MetadataUnreadable as e:
        problem = _("The manifest %(where)s does not parse: %(why)s.", where=_where(e), why=e.why)
        if not dry_run:
            _write_reason(path, problem)
        return {}, problem
    except OSError as e:
        return {}, _("The manifest %(name)s cannot be read: %(why)s.", name=path.name, why=e.strerror or str(e))


def _where(e: MetadataUnreadable) -> str:
    return _("%(file)s line %(line)s", file=e.file, line=e.line) if e.line else e.file


def _one_file(folder: Path, name: str, manifest: dict[str, RecordingMeta], manifest_problem: str | None,
              pattern: str, now: datetime, stable_s: float, dry_run: bool,
              shared: frozenset[str] = frozenset()) -> FileReport:
    path = folder / name  # the raw name (maybe not UTF-8) for the file; `shown` for the database and the pages
    key, shown = str(folder), display_name(name)
    try:
        done = _unmoved_row(key, shown, path.stat(follow_symlinks=False))
    except FileNotFoundError:
        done = None
    if done is not None:
        return FileReport(shown, done.status.value, done.reason)
    row = _waiting_row(key, shown)
    try:
        complete, size = _is_complete(path, row, now, stable_s, shared)
    except FileNotFoundError:
        return _gone(row, shown, dry_run)
    if not complete:
        if not dry_run:
            row = row or services.new_source("folder", shown, key)
            if row.size_bytes != size or row.stable_since is None:
                row.size_bytes, row.stable_since = size, now
            services.set_fate(row, SourceStatus.WAITING, _("Still being written (its size changes); imported once "
                                                           "it is unchanged for %(s)s seconds or a .done marker "
                                                           "appears.", s=f"{stable_s:g}"))
            db.session.commit()
        return FileReport(shown, "incomplete", _("still being written"))
    if manifest_problem and _beside(folder, name, ".json", shared) is None:
        if not dry_run:
            row = row or services.new_source("folder", shown, key)
            row.size_bytes = size
            services.set_fate(row, SourceStatus.WAITING, manifest_problem)
            db.session.commit()
        return FileReport(shown, SourceStatus.WAITING.value, manifest_problem)
    try:
        meta = read_meta(folder, name, manifest, pattern, shared)
    except MetadataUnreadable as e:
        reason = _("The metadata %(where)s does not parse: %(why)s. Fix it, then move both files back into the "
                   "folder.", where=_where(e), why=e.why)
        return _finish(folder, name, row, size, SourceStatus.FAILED, reason, None, dry_run, shared=shared)
    except OSError as e:
        reason = _("The metadata beside %(name)s cannot be read: %(why)s.", name=shown, why=e.strerror or str(e))
        return _finish(folder, name, row, size, SourceStatus.FAILED, reason, None, dry_run, shared=shared)
    if dry_run:
        resolved = services.resolve_meta(meta)
        notes = list(resolved.notes)
        if not resolved.rep_known:
            notes.append(_("The rep is not known: enablement assigns one."))
        return FileReport(shown, "would import", " ".join(notes) or None)
    source = row or services.new_source("folder", shown, key)
    source.size_bytes = size
    try:
        status = services.import_recording(path, source, meta)
    except StorageFull as e:
        db.session.rollback()
        return _wait_for_disk(key, shown, size, e.message)
    except calls.MediaRefused as e:
        db.session.rollback()
        if not os.path.lexists(path):
            return _gone(_waiting_row(key, shown), shown, dry_run)
        return _finish(folder, name, _waiting_row(key, shown), size, SourceStatus.FAILED, e.message, None, dry_run,
                       shared=shared)
    except Exception as e:
        if not is_disk_full(e):
            raise
        db.session.rollback()
        return _wait_for_disk(key, shown, size, reasons.text("call.disk_full", {}))
    call = db.session.get(Call, source.call_id) if source.call_id is not None else None
    call_id, duration = source.call_id, call.duration_s if call is not None else None
    return _finish(folder, name, source, size, status, source.reason, call_id, dry_run, duration, shared)


def _forget_vanished(folder: str, names: set[str]) -> list[FileReport]:
    """Files seen waiting on an earlier scan that are no longer in the folder: recorded as removed."""
    rows = db.session.scalars(select(SourceFile).where(SourceFile.folder == folder,
                                                       SourceFile.status == SourceStatus.WAITING))
    return [_gone(row, row.name, False) for row in list(rows) if row.name not in names]


def _gone(row: SourceFile | None, name: str, dry_run: bool) -> FileReport:
    reason = _("The file was removed from the folder before it could be read; nothing was imported.")
    if row is not None and not dry_run:
        services.set_fate(row, SourceStatus.GONE, reason)
        db.session.commit()
    return FileReport(name, SourceStatus.GONE.value, reason)


def _wait_for_disk(folder: str, name: str, size: int, reason: str) -> FileReport:
    """The disk is full: the file stays where it is, waiting, and is tried again on the next scan."""
    log.error("drop folder %s: %s not imported, the disk is full", folder, name)
    reason = _("%(why)s The file stays in the folder and is tried again on the next scan.", why=reason)
    try:
        row = _waiting_row(folder, name) or services.new_source("folder", name, folder)
        row.size_bytes = size
        services.set_fate(row, SourceStatus.WAITING, reason)
        db.session.commit()
    except Exception as e:  # the database's disk is the full one: the file itself still waits in the folder
        db.session.rollback()
        log.error("drop folder %s: could not record that %s waits: %s", folder, name, e)
    return FileReport(name, SourceStatus.WAITING.value, reason)


def _finish(folder: Path, name: str, row: SourceFile | None, size: int, status: SourceStatus, reason: str | None,
            call_id: int | None, dry_run: bool, duration_s: float | None = None,
            shared: frozenset[str] = frozenset()) -> FileReport:
    """Record the file's fate, commit, then move it (with its sidecar and marker) to processed/ or failed/. A file
    that cannot be moved keeps its size and time on its row, so that later scans leave it alone."""
    shown = display_name(name)
    if dry_run:
        return FileReport(shown, status.value, reason, call_id)
    source = row or services.new_source("folder", shown, str(folder))
    source.size_bytes = size
    services.set_fate(source, status, reason, call_id)
    db.session.commit()
    try:
        before = (folder / name).stat(follow_symlinks=False)
    except OSError:
        before = None
    moved = _move(folder, name, MOVED[status], reason if status == SourceStatus.FAILED else None, shared)
    if moved is not None:
        services.set_fate(source, status, " ".join(filter(None, [source.reason, moved])), call_id)
        if before is not None and os.path.lexists(folder / name):
            source.details = {**(source.details or {}),
                              "unmoved": {"size": before.st_size, "mtime_ns": before.st_mtime_ns}}
        db.session.commit()
    return FileReport(shown, status.value, source.reason, call_id, duration_s)


def _free_name(target: Path, name: str) -> str:
    """`name`, or `name (2)`... when target already holds a file of that name."""
    if not (target / name).exists():
        return name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while (target / f"{stem} ({n}){suffix}").exists():
        n += 1
    return f"{stem} ({n}){suffix}"


def _move(folder: Path, name: str, where: str, reason: str | None, shared: frozenset[str] = frozenset()) -> str | None:
    """Move the recording and what belongs to it into folder/where; None, or why it could not be moved. A where/
    that is a symbolic link (or not a folder) is refused: the file stays."""
    target = folder / where
    try:
        target.mkdir(exist_ok=True)
        if stat.S_ISLNK(os.lstat(target).st_mode):
            log.error("drop folder %s: %s/ is a symbolic link; %s is not moved", folder, where, display_name(name))
            return _("It was not moved: %(where)s/ is a symbolic link, which Enable does not follow. Make it a "
                     "folder.", where=where)
        new_name = _free_name(target, name)
        new_stem = Path(new_name).stem
        companions = [p for p in (_beside(folder, name, ".json", shared), _beside(folder, name, ".done", shared))
                      if p is not None]
        os.replace(folder / name, target / new_name)
        for companion in companions:
            rest = companion.name[len(name):] if companion.name.startswith(name) else \
                companion.name[len(Path(name).stem):]
            with contextlib.suppress(FileNotFoundError):
                os.replace(companion, target / f"{new_name if companion.name.startswith(name) else new_stem}{rest}")
        if reason:
            _write_reason(target / new_name, reason)
    except OSError as e:
        if e.errno == errno.ENOENT and not os.path.lexists(folder / name):
            return _("The file was removed from the folder before it could be moved.")
        log.error("drop folder %s: %s could not be moved to %s/: %s", folder, display_name(name), where, e)
        return _("It could not be moved to %(where)s/: %(why)s.", where=where, why=e.strerror or str(e))
    return None


def _write_reason(path: Path, reason: str) -> None:
    """`<name>.reason.txt` beside the file: why it failed, for whoever looks in the folder."""
    try:
        fd = os.open(path.with_name(f"{path.name}.reason.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                     0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(reason + "\n")
    except OSError as e:
        log.error("could not write the reason beside %s: %s", path, e)


def scan_all(now: datetime | None = None) -> list[ScanReport]:
    """Scan every drop folder once (the worker's periodic job)."""
    reports = []
    for folder in drop_dirs():
        try:
            reports.append(scan_folder(folder, now=now))
        except Exception:
            db.session.rollback()
            log.exception("drop folder %s: the scan failed; tried again next time", folder)
    return reports
