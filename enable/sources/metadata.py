"""What is said about a recording beside it: a `<name>.json` sidecar, a row of the folder's CSV manifest, or the
file's name (DROP_REP_PATTERN). Pure: no Flask, no database.

Sidecar (every key optional):
  {"title": "...", "rep_email": "...", "deal_external_id": "...", "date": "2026-03-01T14:30:00+01:00",
   "stage": "negotiation", "language": "ru", "speakers": 2,
   "participants": [{"email": "anna@acme.example", "name": "Anna"}, "bob@acme.example"]}
Manifest: one CSV per folder with a header; the column `file` (or `filename`, `name`) names the recording, the
others are the keys above; participants are written "Anna <anna@acme.example>; bob@acme.example".
A file that does not parse is reported with its name and line (MetadataUnreadable).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_KEYS = {  # accepted spellings -> the key
    "title": "title", "topic": "title", "rep": "rep_email", "rep_email": "rep_email", "host_email": "rep_email",
    "deal": "deal_external_id", "deal_id": "deal_external_id", "deal_external_id": "deal_external_id",
    "date": "date", "datetime": "date", "start_time": "date", "started_at": "date", "stage": "stage",
    "language": "language", "participants": "participants", "speakers": "speakers",
    "expected_speakers": "speakers", "number_of_speakers": "speakers",
}  # fmt: skip
_FILE_COLUMNS = ("file", "filename", "file_name", "name", "recording")
MAX_METADATA_BYTES = 1 << 20


class MetadataUnreadable(Exception):
    """A sidecar or manifest that does not parse: `where` is "<file> line <n>" and `why` the parser's words."""

    def __init__(self, file: str, line: int | None, why: str) -> None:
        self.file, self.line, self.why = file, line, why
        super().__init__(f"{file} line {line}: {why}" if line else f"{file}: {why}")


@dataclass
class Participant:
    email: str | None
    name: str | None


@dataclass
class RecordingMeta:
    """What is known about a recording; unknown values are None. `ignored` lists values that made no sense."""

    title: str | None = None
    rep_email: str | None = None
    deal_external_id: str | None = None
    started_at: datetime | None = None
    call_date: date | None = None
    stage: str | None = None
    language: str | None = None
    speakers: int | None = None
    participants: list[Participant] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able copy, to keep beside the source file."""
        return {"title": self.title, "rep_email": self.rep_email, "deal_external_id": self.deal_external_id,
                "started_at": self.started_at.isoformat() if self.started_at else None,
                "call_date": self.call_date.isoformat() if self.call_date else None, "stage": self.stage,
                "language": self.language, "speakers": self.speakers,
                "participants": [{"email": p.email, "name": p.name} for p in self.participants],
                "ignored": list(self.ignored)}

    def fill_from(self, other: RecordingMeta) -> None:
        """Take other's values where this has none (a sidecar wins over the manifest, both over the file name)."""
        for name in ("title", "rep_email", "deal_external_id", "started_at", "call_date", "stage", "language",
                     "speakers"):
            if getattr(self, name) is None:
                setattr(self, name, getattr(other, name))
        if not self.participants:
            self.participants = list(other.participants)
        self.ignored.extend(other.ignored)


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def parse_participants(value: Any) -> list[Participant]:
    """Participants from a list ({"email", "name"} objects or strings) or a text "Name <email>; email; Name"."""
    items: list[Any]
    if isinstance(value, list):
        items = value
    elif isinstance(value, str):
        items = [part for part in re.split(r"[;\n]", value) if part.strip()]
    else:
        return []
    found: list[Participant] = []
    for item in items:
        if isinstance(item, dict):
            email = _text(item.get("email") or item.get("user_email"), 254)
            name = _text(item.get("name") or item.get("user_name"), 200)
        else:
            text = str(item)
            match = EMAIL.search(text)
            email = match.group(0) if match else None
            name = _text(EMAIL.sub("", text).replace("<", "").replace(">", "").strip(" ,\"'"), 200)
        if email is not None and not EMAIL.fullmatch(email):
            email = None
        if email or name:
            found.append(Participant(email.lower() if email else None, name))
    return found


def parse_when(value: Any) -> tuple[datetime | None, date | None]:
    """An ISO date or date and time (e.g. 2026-03-01, 2026-03-01 14:30, 2026-03-01T14:30:00Z); ValueError else."""
    text = str(value).strip()
    if not text:
        return None, None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"'{text[:40]}' is not a date (write 2026-03-01 or 2026-03-01T14:30)") from None
    if len(text) <= 10:
        return None, when.date()
    return when, when.date()


def meta_from_mapping(values: dict[str, Any]) -> RecordingMeta:
    """Metadata from a sidecar object or a manifest row; values that make no sense go to `ignored`."""
    meta = RecordingMeta()
    for raw_key, value in values.items():
        key = _KEYS.get(str(raw_key).strip().lower().replace(" ", "_").replace("-", "_"))
        if key is None or value in (None, ""):
            continue
        if key == "participants":
            meta.participants = parse_participants(value)
        elif key == "date":
            try:
                meta.started_at, meta.call_date = parse_when(value)
            except ValueError as e:
                meta.ignored.append(f"date: {e}")
        elif key == "speakers":
            try:
                number = int(str(value).strip())
            except ValueError:
                meta.ignored.append(f"speakers: '{str(value)[:20]}' is not a number")
            else:
                if 1 <= number <= 20:
                    meta.speakers = number
                else:
                    meta.ignored.append(f"speakers: {number} is not between 1 and 20")
        elif key == "rep_email":
            email = _text(value, 254)
            if email and EMAIL.fullmatch(email):
                meta.rep_email = email.lower()
            else:
                meta.ignored.append(f"rep_email: '{str(value)[:60]}' is not an email address")
        else:
            setattr(meta, key, _text(value, 200 if key == "title" else 100))
    return meta


def read_sidecar(path: Path) -> RecordingMeta:
    """The metadata of a `<name>.json` sidecar; MetadataUnreadable with its line when it does not parse."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise MetadataUnreadable(path.name, data[:e.start].count(b"\n") + 1, "not UTF-8 text") from None
    try:
        values = json.loads(text)
    except json.JSONDecodeError as e:
        raise MetadataUnreadable(path.name, e.lineno, e.msg) from None
    if not isinstance(values, dict):
        raise MetadataUnreadable(path.name, 1, "a JSON object ({...}) is expected")
    return meta_from_mapping(values)


def read_manifest(path: Path) -> dict[str, RecordingMeta]:
    """A folder's CSV manifest: file name -> its metadata; MetadataUnreadable with the line of the problem."""
    data = _read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise MetadataUnreadable(path.name, None, "not UTF-8 or Windows-1251 text") from None
    sample = text[:4096]
    delimiter = max((";", ",", "\t"), key=lambda d: sample.split("\n", 1)[0].count(d))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as e:
        raise MetadataUnreadable(path.name, 1, str(e)) from None
    column = next((header.index(c) for c in _FILE_COLUMNS if c in header), None)
    if column is None:
        raise MetadataUnreadable(path.name, 1, "no 'file' column naming the recording of each row")
    rows: dict[str, RecordingMeta] = {}
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise MetadataUnreadable(path.name, reader.line_num, str(e)) from None
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(header):
            raise MetadataUnreadable(path.name, reader.line_num,
                                     f"{len(fields)} values but the header has {len(header)}")
        values = dict(zip(header, fields, strict=False))
        name = Path(values.get(header[column], "").strip()).name
        if name:
            rows[name] = meta_from_mapping({k: v for k, v in values.items() if k != header[column]})
    return rows


def meta_from_name(filename: str, pattern: str) -> RecordingMeta:
    """The rep's email (group "email") and other named groups (title, deal, date, stage) read from a file name."""
    meta = RecordingMeta()
    if not pattern:
        return meta
    match = re.search(pattern, filename)
    if match is None:
        return meta
    groups = {k: v for k, v in match.groupdict().items() if v}
    return meta_from_mapping({("rep_email" if k == "email" else k): v for k, v in groups.items()})


def _read_bytes(path: Path) -> bytes:
    """The file's first bytes; a symbolic link is refused (O_NOFOLLOW: ELOOP), never followed."""
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as fh:
        data = fh.read(MAX_METADATA_BYTES + 1)
    if len(data) > MAX_METADATA_BYTES:
        raise MetadataUnreadable(path.name, None, "larger than 1 MB")
    return data
