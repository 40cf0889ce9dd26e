"""content/tracks, content/quizzes and content/certifications: the starter content loads, loading twice changes
nothing, edits update in place, a malformed file is refused with its line, and references to sample bites that
do not exist yet resolve once they do."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from enable.bites.models import Bite
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.learning import content, tracks
from enable.learning.models import (
    Certification,
    QuestionKind,
    Quiz,
    RequirementKind,
    StepCompletion,
    StepKind,
    Track,
)
from tests.conftest import REPO
from tests.factories import make_user
from tests.learning.factories import T0

SAMPLES = REPO / "transcripts" / "samples"


@pytest.fixture
def folder(tmp_path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(REPO / "content", target)
    return target


def _load(runner, folder):
    result = runner.invoke(args=["content", "load", str(folder)])
    return result.exit_code, result.output


def test_the_starter_content_loads(app, runner, folder):
    code, output = _load(runner, folder)
    assert code == 0, output
    assert "created 2 tracks" in output and "created 2 quizzes" in output and "created 1 certifications" in output
    with app.app_context():
        track = db.session.scalar(select(Track).where(Track.slug == "first-30-days"))
        assert track.title == "First 30 days" and track.is_default
        kinds = [s.kind for s in track.steps]
        assert {StepKind.PLAYBOOK, StepKind.BITE, StepKind.QUIZ, StepKind.SIGNOFF} <= set(kinds)
        assert [s.due_days for s in track.steps][:3] == [3, 5, 7]  # day 3, day 5, week 1
        assert all(s.is_resolved for s in track.steps if s.kind != StepKind.BITE)  # playbooks and the quiz exist
        assert [s.ref for s in track.steps if s.kind == StepKind.BITE] == [
            "discovery-competitor#0", "negotiation-price#0", "closing-authority#0"]
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "objection-handling"))
        assert len(quiz.questions) >= 10 and quiz.pass_percent == 80 and quiz.max_attempts == 3
        assert {q.kind for q in quiz.questions} == set(QuestionKind)
        cert = db.session.scalar(select(Certification))
        assert [r.kind for r in cert.requirements] == [RequirementKind.TRACK, RequirementKind.QUIZ,
                                                       RequirementKind.SIGNOFF]
        assert cert.requirements[1].min_score == 80 and cert.valid_days == 365


def test_loading_twice_changes_nothing(app, runner, folder):
    assert _load(runner, folder)[0] == 0
    code, output = _load(runner, folder)
    assert code == 0 and "no changes" in output, output


def test_an_edit_updates_the_track_in_place_and_keeps_completions(app, runner, folder):
    _load(runner, folder)
    with app.app_context():
        track = db.session.scalar(select(Track).where(Track.slug == "first-30-days"))
        rep = make_user()
        [assignment] = tracks.assign_track(track, [rep], start=T0.date(), actor=None, now=T0)
        first = track.steps[0]
        db.session.add(StepCompletion(assignment=assignment, step_id=first.id, completed_at=T0))
        db.session.commit()
        first_id = first.id
    path = folder / "tracks" / "first-30-days.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("due: day 3", "due: day 4"), encoding="utf-8")
    code, output = _load(runner, folder)
    assert code == 0 and "updated 1 tracks" in output, output
    with app.app_context():
        track = db.session.scalar(select(Track).where(Track.slug == "first-30-days"))
        assert track.steps[0].id == first_id and track.steps[0].due_days == 4
        assert db.session.scalar(select(StepCompletion.step_id)) == first_id


@pytest.mark.parametrize(("file", "old", "new"), [
    ("tracks/first-30-days.yaml", "due: week 1", "due: soonish"),
    ("tracks/first-30-days.yaml", "  - quiz: objection-handling", "  - lecture: objection-handling"),
    ("quizzes/objection-handling.yaml", "answer: false", "answer: maybe"),
    ("certifications/objection-handling-certified.yaml", "quiz: objection-handling", "quiz: no-such-quiz"),
])
def test_a_malformed_file_is_refused_with_its_line_and_nothing_loads(app, runner, folder, file, old, new):
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    where = f"{path.name}:{text[:text.index(new)].count(chr(10)) + 1}:"
    code, output = _load(runner, folder)
    assert code != 0 and "nothing was loaded" in output and where in output, output
    with app.app_context():
        assert db.session.scalars(select(Track)).all() == [] and db.session.scalars(select(Quiz)).all() == []


def _import_sample(slug: str) -> Bite:
    """A call made from a sample recording (found by its SHA-256, as the demo imports it), with one bite."""
    sha = hashlib.sha256((SAMPLES / f"{slug}.ogg").read_bytes()).hexdigest()
    call = Call(title=slug, status=CallStatus.READY, sha256=sha, media_path=f"{sha}.ogg",
                original_filename=f"{slug}.ogg")
    db.session.add(call)
    db.session.flush()
    bite = Bite(call_id=call.id, seq=0, start_s=0.0, end_s=90.0, first_word=0, last_word=5, title=f"{slug} bite",
                text="...")
    db.session.add(bite)
    db.session.flush()
    return bite


def test_sample_bite_references_resolve_once_the_samples_exist(app, runner, folder):
    _load(runner, folder)
    with app.app_context():
        track = db.session.scalar(select(Track).where(Track.slug == "first-30-days"))
        assert [s.item_id for s in track.steps if s.kind == StepKind.BITE] == [None, None, None]
        price = _import_sample("negotiation-price")
        assert content.resolve_all_pending() >= 2  # the track step and the listening question
        step = next(s for s in track.steps if s.ref == "negotiation-price#0")
        assert step.item_id == price.id
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "objection-handling"))
        assert next(q for q in quiz.questions if q.bite_ref == "negotiation-price#0").bite_id == price.id
        db.session.commit()
    code, output = _load(runner, folder)
    assert code == 0 and "no changes" in output, output  # the resolved reference is kept
