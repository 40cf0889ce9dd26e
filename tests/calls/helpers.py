"""Helpers for ingest tests: real sample calls (ready-made transcripts, no speech model) and test recordings."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from enable import pipeline
from enable.calls import services as calls
from enable.calls.models import Call
from enable.calls.samples import SAMPLES_DIR
from enable.extensions import db
from enable.taxonomy.services import load_taxonomy
from enable.transcription.types import Transcript
from tests.conftest import REPO

AUDIO = REPO / "tests" / "data" / "audio"
SAMPLES = ("negotiation-price", "discovery-competitor", "closing-authority")


def load_content() -> None:
    """Load the starter taxonomy (stages, objections, competitors ...)."""
    load_taxonomy(REPO / "content" / "taxonomy.yaml")
    db.session.commit()


def sample_transcript(slug: str) -> Transcript:
    """The real transcript that ships with a sample call."""
    return Transcript.from_dict(json.loads((SAMPLES_DIR / f"{slug}.json").read_text(encoding="utf-8")))


def ingest_sample(slug: str, **details) -> int:
    """Upload a sample call's recording and run the pipeline with its stored transcript; return the call id."""
    details.setdefault("stage", {"negotiation-price": "negotiation", "discovery-competitor": "discovery",
                                 "closing-authority": "closing"}.get(slug))
    result = calls.accept_file(SAMPLES_DIR / f"{slug}.ogg", calls.CallDetails(**details))
    db.session.commit()
    call = pipeline.ingest_call(result.call.id, transcript=sample_transcript(slug))
    assert call is not None
    return call.id


def ingest_recording(app, path: Path, **details) -> int:
    """Upload a recording (with no details unless given) and run the whole pipeline on it (the real speech models);
    the call id."""
    with app.app_context():
        call = calls.accept_file(path, calls.CallDetails(**details)).call
        db.session.commit()
        pipeline.ingest_call(call.id)
        return call.id


def call_of(call_id: int) -> Call:
    """A fresh copy of the call from the database."""
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call is not None
    return call


def make_video(path: Path, seconds: float = 2.0) -> Path:
    """A small mp4 with a picture and a tone (ffmpeg)."""
    picture = f"testsrc=size=160x120:rate=10:duration={seconds}"
    tone = f"sine=frequency=440:duration={seconds}"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", picture, "-f", "lavfi", "-i", tone,
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )
    return path


def hostile_files(folder: Path) -> dict[str, Path]:
    """Files that are not recordings: random bytes named .ogg, an empty .wav, text named .mp3, a broken ogg."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "corrupt": folder / "corrupt.ogg",
        "empty": folder / "empty.wav",
        "text": folder / "notes.mp3",
    }
    files["corrupt"].write_bytes(bytes(range(256)) * 64)
    files["empty"].write_bytes(b"")
    files["text"].write_text("Meeting notes: call the customer back on Monday.\n" * 50, encoding="utf-8")
    return files
