"""Loading content/quizzes, content/tracks and content/certifications (YAML) through `flask content load`.

Loading is idempotent: an unchanged file changes nothing. A file's quiz, track or certification is matched by
slug (the file name unless `slug:` says otherwise) and updated in place, so answers, completions and sign-offs
survive edits. The file is the source of truth for what it defines: browser edits to a quiz or track that a file
defines are replaced by the file's content on the next load (those made in the browser alone are left alone).

A step or question naming an item that does not exist yet (the sample call bites are imported by `flask demo
load`, which runs after `content load`) keeps its reference, is logged as pending, and resolves as soon as the
item exists: when a track or quiz is shown, at the end of `flask demo load`, or with `flask learning resolve`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from enable.db import utcnow
from enable.extensions import db
from enable.i18n import default_language, language_tag
from enable.learning import quizzes, refs, tracks
from enable.learning.models import (
    Certification,
    CertificationRequirement,
    Question,
    QuestionKind,
    Quiz,
    RequirementKind,
    StepKind,
    Track,
    TrackStep,
)
from enable.learning.tracks import SLUG_RE, resolve_pending
from enable.taxonomy.services import LoadReport
from enable.yamlfile import ContentError, Node, load_yaml, require

log = logging.getLogger(__name__)

DUE_RE = re.compile(r"^\s*(?P<unit>day|week)\s+(?P<n>\d{1,3})\s*$", re.I)


@dataclass(frozen=True)
class StepSpec:
    kind: StepKind
    ref: str
    title: str
    due_days: int | None
    line: int


@dataclass(frozen=True)
class QuestionSpec:
    kind: QuestionKind
    prompt: str
    explanation: str
    bite_ref: str
    options: tuple[quizzes.OptionSpec, ...]


@dataclass(frozen=True)
class RequirementSpec:
    kind: RequirementKind
    ref: str  # track or quiz slug; sign-off text
    min_score: int | None
    line: int


def _files(root: Path, folder: str) -> list[Path]:
    return sorted((root / folder).glob("*.yaml")) if (root / folder).is_dir() else []


def _mapping(path: Path) -> Node:
    data = load_yaml(path)
    if not isinstance(data, Node):
        raise ContentError(path, 1, "the file should be a mapping of keys (title, ...) to values")
    return data


def _slug(path: Path, data: Node) -> str:
    slug = data.get("slug", path.stem)
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise ContentError(path, data.line_of("slug"), f"slug '{slug}' should be lower-case letters, digits, - or _")
    return slug


def _language(node: Node, path: Path) -> str | None:
    """The file's `language:` as a language tag (None when absent), or ContentError."""
    value = _text(node, "language", path)
    if not value:
        return None
    tag = language_tag(value)
    if tag is None:
        raise ContentError(path, node.line_of("language"),
                           f"'language' should be a language tag such as en, ru or pt-BR, not '{value}'")
    return tag


def _text(node: Node, key: str, path: Path, default: str = "") -> str:
    value = node.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ContentError(path, node.line_of(key), f"'{key}' should be text")
    return str(value).strip()


def _int(node: Node, key: str, path: Path, low: int, high: int) -> int | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ContentError(path, node.line_of(key), f"'{key}' should be a whole number from {low} to {high}")
    return value


def parse_due(node: Node, path: Path) -> int | None:
    """Days from the start: `due: day 3` is 3, `due: week 2` is 14, `due_days: 10` is 10."""
    if "due_days" in node:
        return _int(node, "due_days", path, 0, 3650)
    due = node.get("due")
    if due is None:
        return None
    match = DUE_RE.match(str(due))
    if not match:
        raise ContentError(path, node.line_of("due"), f"due '{due}' should read like 'day 3' or 'week 2'")
    n = int(match["n"])
    return n * 7 if match["unit"].lower() == "week" else n


# Tracks -----------------------------------------------------------------------------------------------------------


def parse_track(path: Path) -> tuple[str, dict[str, Any], list[StepSpec]]:
    """Read a track file: its slug, fields (title, description, default) and steps."""
    data = _mapping(path)
    slug = _slug(path, data)
    fields = {"title": require(data, "title", path), "description": _text(data, "description", path),
              "is_default": data.get("default", False) is True, "language": _language(data, path)}
    steps_node = require(data, "steps", path, list)
    steps = []
    for i, item in enumerate(steps_node):
        line = steps_node.item_lines[i]
        if not isinstance(item, Node):
            raise ContentError(path, line, "each step should be a mapping, e.g. '- playbook: discovery'")
        kinds = [k for k in StepKind if k.value in item]
        if len(kinds) != 1:
            raise ContentError(path, line, "each step names exactly one of: " + ", ".join(k.value for k in StepKind))
        kind = kinds[0]
        ref = _text(item, kind.value, path)
        if not ref:
            raise ContentError(path, item.line_of(kind.value), f"'{kind.value}' needs a value")
        title = _text(item, "title", path)
        if kind == StepKind.SIGNOFF:
            ref, title = "", title or ref
        steps.append(StepSpec(kind, ref, title[:300], parse_due(item, path), line))
    return slug, fields, steps


def apply_track(path: Path, slug: str, fields: dict[str, Any], steps: list[StepSpec], now: datetime) -> LoadReport:
    """Make the track match its file; steps are kept (with their completions) when kind and reference match."""
    report = LoadReport()
    fields = {**fields, "language": fields["language"] or default_language()}  # no `language:`: the site's
    track = db.session.scalar(select(Track).where(Track.slug == slug))
    created = track is None
    if track is None:
        track = Track(slug=slug, title=fields["title"])
        db.session.add(track)
        report.count("created", "tracks")
        changed = False
    else:
        changed = any(getattr(track, k) != v for k, v in fields.items())
    track.title, track.description, track.is_default = fields["title"], fields["description"], fields["is_default"]
    track.language = fields["language"]
    if fields["is_default"]:
        db.session.flush()
        tracks.unmark_other_defaults(track)
    existing = list(track.steps)
    kept: list[TrackStep] = []
    for position, spec in enumerate(steps):
        step = next((s for s in existing if s.kind == spec.kind and (s.ref or "") == spec.ref
                     and (spec.kind != StepKind.SIGNOFF or s.title == spec.title)), None)
        if step is None:
            step = TrackStep(kind=spec.kind, ref=spec.ref or None, item_id=refs.resolve(spec.kind, spec.ref))
            changed = True
        else:
            existing.remove(step)
            changed |= (step.position, step.title, step.due_days) != (position, spec.title, spec.due_days)
        step.position, step.title, step.due_days = position, spec.title, spec.due_days
        kept.append(step)
        if not step.is_resolved:
            log.debug("%s:%d: %s '%s' does not exist yet; the step resolves once it does", path, spec.line,
                      spec.kind.value, spec.ref)
            report.wait_for(f"{spec.kind.value}s", spec.ref)
    changed |= bool(existing)
    track.steps = kept
    if changed and not created:
        track.updated_at = now
        report.count("updated", "tracks")
    db.session.flush()
    return report


def _load_folder(root: Path, folder: str, parse: Callable[[Path], tuple],
                 apply: Callable[..., LoadReport]) -> LoadReport:
    """Parse and apply every YAML file of one content folder, with one timestamp for the whole load."""
    report = LoadReport()
    now = utcnow()
    for path in _files(root, folder):
        report.merge(apply(path, *parse(path), now))
    return report


def load_tracks(root: Path) -> LoadReport:
    """Load content/tracks/*.yaml."""
    return _load_folder(root, "tracks", parse_track, apply_track)


# Quizzes ----------------------------------------------------------------------------------------------------------


def _parse_question(path: Path, item: Any, line: int) -> QuestionSpec:
    if not isinstance(item, Node):
        raise ContentError(path, line, "each question should be a mapping with kind, prompt and options")
    kind_text = _text(item, "kind", path, "single")
    try:
        kind = QuestionKind(kind_text)
    except ValueError:
        raise ContentError(path, item.line_of("kind"), f"kind '{kind_text}' should be one of: "
                           + ", ".join(k.value for k in QuestionKind)) from None
    prompt = require(item, "prompt", path)
    if kind == QuestionKind.TRUE_FALSE:
        answer = item.get("answer")
        if not isinstance(answer, bool):
            raise ContentError(path, item.line_of("answer"), "a true_false question needs 'answer: true' or false")
        options = quizzes.true_false_options(answer)
    else:
        options_node = require(item, "options", path, list)
        options = []
        for j, option in enumerate(options_node):
            if isinstance(option, str):
                options.append(quizzes.OptionSpec(option.strip(), False))
            elif isinstance(option, Node) and isinstance(option.get("text"), str):
                options.append(quizzes.OptionSpec(option["text"].strip(), option.get("correct") is True))
            else:
                raise ContentError(path, options_node.item_lines[j],
                                   "an option is text, or a mapping with 'text' and 'correct: true'")
    bite_ref = _text(item, "bite", path)
    try:
        quizzes.check_question(kind, prompt, options, bite_ref)
    except quizzes.QuizInvalid as e:
        raise ContentError(path, line, e.message) from None
    return QuestionSpec(kind, prompt.strip(), _text(item, "explanation", path), bite_ref, tuple(options))


def parse_quiz(path: Path) -> tuple[str, dict[str, Any], list[QuestionSpec]]:
    """Read a quiz file: its slug, fields (title, description, pass mark, attempt limit) and questions."""
    data = _mapping(path)
    slug = _slug(path, data)
    fields = {"title": require(data, "title", path), "description": _text(data, "description", path),
              "pass_percent": _int(data, "pass_percent", path, 1, 100) or 80,
              "max_attempts": _int(data, "max_attempts", path, 1, 1000)}
    node = require(data, "questions", path, list)
    return slug, fields, [_parse_question(path, item, node.item_lines[i]) for i, item in enumerate(node)]


def _question_spec(q: Any) -> QuestionSpec:
    return QuestionSpec(q.kind, q.prompt, q.explanation, q.bite_ref or "",
                        tuple(quizzes.OptionSpec(o.text, o.is_correct) for o in q.options))


def apply_quiz(path: Path, slug: str, fields: dict[str, Any], specs: list[QuestionSpec], now: datetime) -> LoadReport:
    """Make the quiz match its file; questions are updated in place by position (review cards stay)."""
    report = LoadReport()
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug))
    if quiz is None:
        quiz = Quiz(slug=slug, **fields)
        db.session.add(quiz)
        db.session.flush()
        report.count("created", "quizzes")
        changed = False
    else:
        changed = any(getattr(quiz, k) != v for k, v in fields.items())
        for key, value in fields.items():
            setattr(quiz, key, value)
    questions = list(quiz.questions)
    for position, spec in enumerate(specs):
        question = questions[position] if position < len(questions) else None
        if question is not None and _question_spec(question) == spec:
            continue
        quizzes.save_question(quiz, question, kind=spec.kind, prompt=spec.prompt, explanation=spec.explanation,
                              options=list(spec.options), bite_ref=spec.bite_ref, actor=None, now=now,
                              resolve_bite=False)
        changed = changed or question is not None
        report.count("created" if question is None else "updated", "questions")
    for extra in questions[len(specs):]:
        quiz.questions.remove(extra)
        report.count("removed", "questions")
    for q in quiz.questions:
        if q.bite_ref and q.bite_id is None:
            log.debug("%s: the bite '%s' does not exist yet; the question plays it once it does", path, q.bite_ref)
            report.wait_for("bites", q.bite_ref)
    if changed:
        quiz.updated_at = now
        report.count("updated", "quizzes")
    db.session.flush()
    return report


def load_quizzes(root: Path) -> LoadReport:
    """Load content/quizzes/*.yaml."""
    return _load_folder(root, "quizzes", parse_quiz, apply_quiz)


# Certifications ---------------------------------------------------------------------------------------------------


def parse_certification(path: Path) -> tuple[str, dict[str, Any], list[RequirementSpec]]:
    """Read a certification file: its slug, fields (title, description, valid_days) and requirements."""
    data = _mapping(path)
    slug = _slug(path, data)
    fields = {"title": require(data, "title", path), "description": _text(data, "description", path),
              "valid_days": _int(data, "valid_days", path, 1, 3650) or 365}
    node = require(data, "requires", path, list)
    specs = []
    for i, item in enumerate(node):
        line = node.item_lines[i]
        kinds = [k for k in RequirementKind if isinstance(item, Node) and k.value in item]
        if len(kinds) != 1:
            raise ContentError(path, line, "each requirement names one of: track, quiz, signoff")
        kind = kinds[0]
        ref = _text(item, kind.value, path)
        if not ref:
            raise ContentError(path, item.line_of(kind.value), f"'{kind.value}' needs a value")
        specs.append(RequirementSpec(kind, ref, _int(item, "min_score", path, 1, 100), line))
    if not specs:
        raise ContentError(path, node.line, "a certification needs at least one requirement")
    return slug, fields, specs


def _requirement_key(req: CertificationRequirement) -> tuple:
    return req.kind, req.track_id, req.quiz_id, req.text, req.min_score


def apply_certification(path: Path, slug: str, fields: dict[str, Any], specs: list[RequirementSpec],
                        now: datetime) -> LoadReport:
    """Make the certification match its file; requirements (and the sign-offs given for them) are kept when they
    name the same track, quiz or sign-off."""
    report = LoadReport()
    wanted = []
    for spec in specs:
        track_id = quiz_id = None
        if spec.kind == RequirementKind.TRACK:
            track_id = db.session.scalar(select(Track.id).where(Track.slug == spec.ref))
            if track_id is None:
                raise ContentError(path, spec.line, f"no track '{spec.ref}' (content/tracks/{spec.ref}.yaml)")
        elif spec.kind == RequirementKind.QUIZ:
            quiz_id = db.session.scalar(select(Quiz.id).where(Quiz.slug == spec.ref))
            if quiz_id is None:
                raise ContentError(path, spec.line, f"no quiz '{spec.ref}' (content/quizzes/{spec.ref}.yaml)")
        text = spec.ref[:300] if spec.kind == RequirementKind.SIGNOFF else ""
        wanted.append((spec.kind, track_id, quiz_id, text, spec.min_score))
    cert = db.session.scalar(select(Certification).where(Certification.slug == slug))
    if cert is None:
        cert = Certification(slug=slug, **fields)
        db.session.add(cert)
        report.count("created", "certifications")
    elif any(getattr(cert, k) != v for k, v in fields.items()) or [
            _requirement_key(r) for r in cert.requirements] != wanted:
        report.count("updated", "certifications")
        cert.updated_at = now
    for key, value in fields.items():
        setattr(cert, key, value)
    existing = list(cert.requirements)
    kept = []
    for position, want in enumerate(wanted):
        req = next((r for r in existing if _requirement_key(r)[:4] == want[:4]), None)
        if req is None:
            req = CertificationRequirement(kind=want[0], track_id=want[1], quiz_id=want[2], text=want[3])
        else:
            existing.remove(req)
        req.position, req.min_score = position, want[4]
        kept.append(req)
    cert.requirements = kept
    db.session.flush()
    return report


def load_certifications(root: Path) -> LoadReport:
    """Load content/certifications/*.yaml (after tracks and quizzes, which they name)."""
    return _load_folder(root, "certifications", parse_certification, apply_certification)


def resolve_all_pending() -> int:
    """Resolve every step and question whose item did not exist when its file was loaded; returns how many did."""
    resolved = resolve_pending()
    for question in db.session.scalars(select(Question).where(Question.bite_id.is_(None),
                                                                       Question.bite_ref.is_not(None))):
        question.bite_id = refs.resolve(StepKind.BITE, question.bite_ref or "")
        resolved += question.bite_id is not None
    db.session.flush()
    return resolved
