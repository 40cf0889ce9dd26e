"""The sample calls that ship with Enable (transcripts/samples/), imported by `flask demo load` without
transcribing them again: the recording is stored like an upload, its ready-made transcript goes to the store,
then the pipeline cuts, tags and indexes it. Importing twice changes nothing (the SHA-256 finds the call).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from enable.auth.models import User
from enable.calls import services as calls
from enable.calls.models import CallStatus
from enable.errors import UserError
from enable.extensions import db
from enable.transcription.types import Transcript
from enable.yamlfile import ContentError, Node, load_yaml

log = logging.getLogger(__name__)

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "transcripts" / "samples"


def load_sample_calls(users: dict[str, User], folder: Path = SAMPLES_DIR, today: date | None = None) -> str:
    """Import every sample call listed in calls.yaml; return a one-line summary."""
    from enable import pipeline

    index = folder / "calls.yaml"
    if not index.is_file():
        return f"no sample calls in {folder}"
    data = load_yaml(index)
    entries = data.get("calls", []) if isinstance(data, Node) else []
    today = today or date.today()
    added = existing = 0
    for entry in entries:
        slug = str(entry["slug"])
        audio, transcript_file = folder / f"{slug}.ogg", folder / f"{slug}.json"
        if not audio.is_file() or not transcript_file.is_file():
            raise ContentError(index, entry.line if isinstance(entry, Node) else 1,
                               f"sample {slug!r} needs {slug}.ogg and {slug}.json beside calls.yaml")
        rep = users.get(str(entry.get("rep", ""))) or db.session.scalar(
            select(User).where(User.email == str(entry.get("rep", ""))))
        deal_id = None
        if entry.get("deal"):
            try:
                deal_id = calls.find_deal(str(entry["deal"])).id
            except UserError:
                deal_id = None  # the demo deals may not be loaded; the call stands without one
        details = calls.CallDetails(
            title=str(entry.get("title", slug)), rep_id=rep.id if rep else None, deal_id=deal_id,
            call_date=_call_date(entry, today), stage=entry.get("stage"), language=entry.get("language"),
        )
        result = calls.accept_file(audio, details)
        db.session.commit()
        if not result.created and result.call.status != CallStatus.QUEUED:
            existing += 1
            continue
        transcript = Transcript.from_dict(json.loads(transcript_file.read_text(encoding="utf-8")))
        call = pipeline.ingest_call(result.call.id, transcript=transcript)
        if call is not None and call.status == CallStatus.FAILED:
            log.warning("sample call %s failed: %s", slug, call.error)
        added += 1
    return f"{added} sample calls imported, {existing} already there"


@dataclass(frozen=True)
class SampleCall:
    """What the demo needs to know of one sample call to give it a deal of its own account."""

    title: str
    account: str
    rep_email: str
    call_date: date | None


def sample_calls(folder: Path = SAMPLES_DIR, today: date | None = None) -> list[SampleCall]:
    """The sample calls of calls.yaml that name their account, in file order."""
    index = folder / "calls.yaml"
    if not index.is_file():
        return []
    data = load_yaml(index)
    entries = data.get("calls", []) if isinstance(data, Node) else []
    today = today or date.today()
    return [SampleCall(str(e.get("title", e["slug"])), str(e["account"]), str(e.get("rep", "")), _call_date(e, today))
            for e in entries if e.get("account")]


def _call_date(entry: Node, today: date) -> date | None:
    if entry.get("date"):
        return date.fromisoformat(str(entry["date"]))
    if entry.get("days_ago") is not None:
        return today - timedelta(days=int(entry["days_ago"]))
    return None
