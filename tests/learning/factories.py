"""Factories for learning tests: plain functions that add and flush; the test commits."""

from __future__ import annotations

import hashlib
import itertools
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

from enable.auth.models import User
from enable.bites.models import Bite
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.learning import quizzes, tracks
from enable.learning.models import Question, QuestionKind, Quiz, StepKind, Track
from enable.playbooks import services as playbooks
from enable.playbooks.models import Asset, AssetKind, Playbook
from enable.usage import UsageEvent, UsageKind, record_usage
from tests.factories import PASSWORD

AUDIO = Path(__file__).resolve().parents[1] / "data" / "audio"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; tests pass times, never read the clock
_seq = itertools.count(1)


def make_bite(media: Path | None = None, start_s: float = 10.0, end_s: float = 110.0, **overrides: Any) -> Bite:
    """A bite of a new ready call; with `media`, the file becomes the call's recording in MEDIA_DIR."""
    n = next(_seq)
    sha = hashlib.sha256(f"learning-call-{n}".encode()).hexdigest()
    call = Call(title=f"Call {n}", status=CallStatus.READY, sha256=sha, media_path=f"{sha}.ogg",
                original_filename=f"{n}.ogg", content_type="audio/ogg", duration_s=end_s + 10)
    if media is not None:
        target = Path(current_app.config["MEDIA_DIR"]) / call.media_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(media, target)
        call.size_bytes = target.stat().st_size
    db.session.add(call)
    db.session.flush()
    bite = Bite(call_id=call.id, seq=0, start_s=start_s, end_s=end_s, first_word=0, last_word=10,
                title=overrides.pop("title", f"Bite {n}"), text="too expensive for us", **overrides)
    db.session.add(bite)
    db.session.flush()
    return bite


def make_playbook(now: datetime = T0, body: str = "## Price\n\nAsk what number they had in mind.\n",
                  **overrides: Any) -> Playbook:
    n = next(_seq)
    return playbooks.create_playbook(title=overrides.pop("title", f"Playbook {n}"), body=body, stage=None,
                                     editor=overrides.pop("editor", None), now=now,
                                     slug=overrides.pop("slug", f"learning-playbook-{n}"))


def make_asset(**overrides: Any) -> Asset:
    asset = Asset(title=overrides.pop("title", f"Battlecard {next(_seq)}"), kind=AssetKind.BATTLECARD,
                  url="https://example.test/battlecard.pdf", **overrides)
    db.session.add(asset)
    db.session.flush()
    return asset


def make_quiz(n_questions: int = 5, pass_percent: int = 80, max_attempts: int | None = None, now: datetime = T0,
              **overrides: Any) -> Quiz:
    """A quiz of single-choice questions whose first option is the right one."""
    quiz = quizzes.save_quiz(None, title=overrides.pop("title", f"Quiz {next(_seq)}"), description="",
                             pass_percent=pass_percent, max_attempts=max_attempts, actor=None, now=now,
                             slug=overrides.pop("slug", None))
    for i in range(n_questions):
        quizzes.save_question(quiz, None, kind=QuestionKind.SINGLE, prompt=f"Question {i + 1}?",
                              explanation=f"Because {i + 1}.",
                              options=[quizzes.OptionSpec("Right", True), quizzes.OptionSpec("Wrong", False)],
                              actor=None, now=now)
    return quiz


def answers(quiz: Quiz, right: int) -> dict[int, set[int]]:
    """Answers to a quiz with the first `right` questions right and the rest wrong."""
    chosen = {}
    for i, q in enumerate(quiz.questions):
        wrong = {o.id for o in q.options if not o.is_correct}
        chosen[q.id] = q.correct_ids if i < right else {min(wrong)}
    return chosen


def make_track(steps: list[tuple[StepKind, Any]], *, due: list[int | None] | None = None, default: bool = False,
               now: datetime = T0, **overrides: Any) -> Track:
    """A track with steps given as (kind, item or sign-off text)."""
    track = tracks.save_track(None, title=overrides.pop("title", f"Track {next(_seq)}"), description="",
                              is_default=default, actor=None, now=now)
    for i, (kind, item) in enumerate(steps):
        ref = "" if kind == StepKind.SIGNOFF else str(item.id)
        title = item if kind == StepKind.SIGNOFF else ""
        tracks.add_step(track, kind=kind, ref=ref, title=title, due_days=due[i] if due else None, actor=None,
                        now=now)
    return track


def play(user: User, bite: Bite, seconds: float, at: datetime) -> UsageEvent:
    """A stretch of listening, as the bite page's play beacon records it."""
    event = record_usage(user, UsageKind.PLAY, "bite", bite.id, seconds=seconds)
    event.created_at = at
    db.session.flush()
    return event


def question_of(quiz: Quiz, i: int = 0) -> Question:
    return quiz.questions[i]


def sign_in(app: Any, email: str) -> Any:
    """A test client signed in as the user with this email (factory users share PASSWORD)."""
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
