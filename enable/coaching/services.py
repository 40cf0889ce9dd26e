"""Scorecards, scoring and feedback requests: typed, commit-free services (the view commits).

Versions: changing the questions of a scorecard makes a new version (never an edit in place), so scores keep the
questions they answered, and a score is saved against the version its scorer saw; an archived scorecard accepts none.
Visibility: a call's scores are seen by the rep scored, their managers, enablement and admins, never by other reps.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from enable.auth.models import Role, Team, User
from enable.calls.models import Call
from enable.coaching.models import (
    CallScore,
    FeedbackRequest,
    QuestionKind,
    ScoreAnswer,
    Scorecard,
    ScorecardQuestion,
    ScorecardVersion,
)
from enable.database import lock_row
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.notifications import in_locale_of, notify

MAX_QUESTIONS = 50
MAX_WEIGHT = 100
MAX_TEXT = 4000
MAX_NOTE = 2000
SCALE_MAX = 5
_ASCII_NUMBER = re.compile(r"[0-9]{1,3}")  # str.isdigit() also takes "²", which int() refuses


# Question specs: what a form, a content file or the API defines -----------------------------------------------------


@dataclass(frozen=True)
class QuestionSpec:
    kind: QuestionKind
    prompt: str
    weight: int = 1
    options: tuple[tuple[str, int], ...] = ()  # choice: (label, points 0..100)

    def as_row(self) -> tuple:
        return (self.kind, self.prompt, self.weight, self.options)


_LINE_RE = re.compile(r"^\[(?P<kind>[a-z_]+)(?:\s+(?P<weight>\d{1,3}))?\]\s*(?P<rest>.+)$")
_KIND_WORDS = {"yesno": QuestionKind.YES_NO, "yes_no": QuestionKind.YES_NO, "scale": QuestionKind.SCALE,
               "choice": QuestionKind.CHOICE, "text": QuestionKind.TEXT}


def check_spec(spec: QuestionSpec, where: str) -> QuestionSpec:
    """The spec, or a UserError saying what is wrong with it (`where` names the line or item)."""
    prompt = spec.prompt.strip()
    if not prompt or len(prompt) > 500:
        raise UserError(_("%(where)s: a question needs a prompt of 1 to 500 characters.", where=where))
    weight = 0 if spec.kind == QuestionKind.TEXT else spec.weight
    if not 0 <= weight <= MAX_WEIGHT:
        raise UserError(_("%(where)s: the weight is a whole number from 0 to %(max)d.", where=where, max=MAX_WEIGHT))
    options = spec.options
    if spec.kind == QuestionKind.CHOICE:
        if not 2 <= len(options) <= 10:
            raise UserError(_("%(where)s: a multiple-choice question needs 2 to 10 options.", where=where))
        for label, points in options:
            if not label.strip() or len(label) > 200 or not 0 <= points <= 100:
                raise UserError(_("%(where)s: each option needs a label and points from 0 to 100.", where=where))
    else:
        options = ()
    return QuestionSpec(spec.kind, prompt, weight, tuple((label.strip(), points) for label, points in options))


def parse_questions(text: str) -> list[QuestionSpec]:
    """Read the question lines of the scorecard form, one question a line:

        [yesno 2] Did the rep agree on an agenda?
        [scale 3] How well did they uncover the pain?
        [choice 1] Next step: Meeting booked = 100 | Vague follow-up = 50 | None = 0
        [text] What should they do differently?
    """
    specs = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        where = _("Line %(n)d", n=n)
        match = _LINE_RE.match(line)
        if not match or match["kind"] not in _KIND_WORDS:
            raise UserError(_("%(where)s: start with [yesno], [scale], [choice] or [text], then the question.",
                              where=where))
        kind = _KIND_WORDS[match["kind"]]
        weight = int(match["weight"]) if match["weight"] else 1
        rest = match["rest"]
        options: list[tuple[str, int]] = []
        if kind == QuestionKind.CHOICE:
            if ":" not in rest:
                raise UserError(_("%(where)s: write the options after a colon: Label = points | Label = points.",
                                  where=where))
            rest, _sep, opts = rest.rpartition(":")
            for part in opts.split("|"):
                label, eq, points = part.rpartition("=")
                if not eq or not _ASCII_NUMBER.fullmatch(points.strip()):
                    raise UserError(_("%(where)s: each option is “Label = points” (0 to 100).", where=where))
                options.append((label, int(points.strip())))
        specs.append(check_spec(QuestionSpec(kind, rest, weight, tuple(options)), where))
    if not specs:
        raise UserError(_("A scorecard needs at least one question."))
    if len(specs) > MAX_QUESTIONS:
        raise UserError(_("A scorecard has at most %(n)d questions.", n=MAX_QUESTIONS))
    if not any(s.weight for s in specs):
        raise UserError(_("At least one question must have a weight above 0, or the scorecard has no total."))
    return specs


def questions_text(version: ScorecardVersion | None) -> str:
    """The form's question lines for a version (parse_questions reads them back)."""
    if version is None:
        return ""
    words = {QuestionKind.YES_NO: "yesno", QuestionKind.SCALE: "scale", QuestionKind.CHOICE: "choice",
             QuestionKind.TEXT: "text"}
    lines = []
    for q in version.questions:
        head = f"[{words[q.kind]}]" if q.kind == QuestionKind.TEXT else f"[{words[q.kind]} {q.weight}]"
        tail = ": " + " | ".join(f"{o['label']} = {o['points']}" for o in q.options) if q.options else ""
        lines.append(f"{head} {q.prompt}{tail}")
    return "\n".join(lines)


# Scorecards ----------------------------------------------------------------------------------------------------------


def list_scorecards(*, active_only: bool = False) -> list[Scorecard]:
    query = select(Scorecard).options(selectinload(Scorecard.versions).selectinload(ScorecardVersion.questions))
    if active_only:
        query = query.where(Scorecard.is_active.is_(True))
    return list(db.session.scalars(query.order_by(Scorecard.title, Scorecard.id)))


def scorecards_for_call(call: Call) -> list[Scorecard]:
    """Active scorecards that fit the call: its stage's first, then the general ones."""
    cards = [c for c in list_scorecards(active_only=True) if c.stage is None or c.stage == call.stage]
    return sorted(cards, key=lambda c: (c.stage is None, c.title.lower()))


def version_has_scores(version: ScorecardVersion) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(CallScore)
                                  .where(CallScore.version_id == version.id)))


def _check_card(title: str, stage: str | None) -> tuple[str, str | None]:
    title = title.strip()
    if not title or len(title) > 200:
        raise UserError(_("A scorecard needs a title of 1 to 200 characters."))
    if stage:
        from enable.calls.services import stage_tag

        if stage_tag(stage) is None:
            raise UserError(_("There is no stage “%(stage)s” in the taxonomy.", stage=stage))
    return title, stage or None


def _fill(version: ScorecardVersion, specs: Sequence[QuestionSpec]) -> None:
    version.questions = [
        ScorecardQuestion(position=i, kind=s.kind, prompt=s.prompt, weight=s.weight,
                          options=[{"label": label, "points": points} for label, points in s.options])
        for i, s in enumerate(specs)]


def create_scorecard(title: str, specs: Sequence[QuestionSpec], *, stage: str | None = None, description: str = "",
                     slug: str | None = None) -> Scorecard:
    title, stage = _check_card(title, stage)
    card = Scorecard(title=title, stage=stage, description=description.strip(), slug=slug)
    version = ScorecardVersion(number=1)
    _fill(version, specs)
    card.versions.append(version)
    db.session.add(card)
    db.session.flush()
    return card


def _same(version: ScorecardVersion, specs: Sequence[QuestionSpec]) -> bool:
    have = [(q.kind, q.prompt, q.weight, tuple((o["label"], o["points"]) for o in q.options))
            for q in version.questions]
    return have == [s.as_row() for s in specs]


def update_scorecard(card: Scorecard, title: str, specs: Sequence[QuestionSpec], *, stage: str | None = None,
                     description: str | None = None) -> ScorecardVersion:
    """Change a scorecard; changed questions make a new version (unchanged ones none), so scores given keep the
    questions they answered and a form someone has open still saves against the version it shows. Returns the
    current version."""
    lock_row(card)  # two editors at once: the second makes its version after the first's, never the same number
    card.title, card.stage = _check_card(title, stage)
    if description is not None:
        card.description = description.strip()
    db.session.expire(card, ["versions"])
    current = card.current
    if current is not None and _same(current, specs):
        return current
    current = ScorecardVersion(number=(current.number + 1) if current else 1)
    card.versions.append(current)
    _fill(current, specs)
    db.session.flush()
    return current


def set_active(card: Scorecard, active: bool) -> None:
    card.is_active = active


# Who sees and who scores ---------------------------------------------------------------------------------------------


def managers_of(rep: User) -> list[User]:
    """The people a rep's feedback requests go to: their team's manager, else the managers in their team."""
    if rep.team_id is None:
        return []
    team = db.session.get(Team, rep.team_id)
    if team is not None and team.manager is not None and team.manager.is_active_account:
        return [team.manager]
    return list(db.session.scalars(select(User).where(User.team_id == rep.team_id, User.role == Role.MANAGER,
                                                      User.is_active_account.is_(True), User.id != rep.id)
                                   .order_by(User.name)))


def manages(user: User, rep_id: int | None) -> bool:
    """Whether `user` is a manager of the rep: the manager of the rep's team, or a manager in it."""
    if rep_id is None or not user.has_role(Role.MANAGER) or user.id == rep_id:
        return False
    rep = db.session.get(User, rep_id)
    if rep is None or rep.team_id is None:
        return False
    if user.team_id == rep.team_id:
        return True
    return bool(db.session.scalar(select(Team.id).where(Team.id == rep.team_id, Team.manager_id == user.id)))


def can_see_scores(user: User, call: Call) -> bool:
    """The rep of the call, their managers, enablement and admins; never other reps."""
    if user.has_role(Role.ENABLEMENT) or user.id == call.rep_id:
        return True
    return manages(user, call.rep_id)


def can_see_score(user: User, score: CallScore) -> bool:
    if user.has_role(Role.ENABLEMENT) or user.id in (score.rep_id, score.scorer_id):
        return True
    return manages(user, score.rep_id)


def can_score(user: User, call: Call) -> bool:
    """Managers score the calls of their team's reps (enablement and admins any call with a rep); a rep their own."""
    if call.rep_id is None:
        return False
    return user.id == call.rep_id or user.has_role(Role.ENABLEMENT) or manages(user, call.rep_id)


def visible_scores(user: User, call: Call) -> list[CallScore]:
    """The call's scores this user may see, newest first (empty when they may see none)."""
    if not can_see_scores(user, call):
        return []
    query = (select(CallScore).where(CallScore.call_id == call.id)
             .options(selectinload(CallScore.answers).selectinload(ScoreAnswer.question),
                      selectinload(CallScore.version).selectinload(ScorecardVersion.questions),
                      selectinload(CallScore.version).selectinload(ScorecardVersion.scorecard),
                      selectinload(CallScore.scorer))
             .order_by(CallScore.created_at.desc(), CallScore.id.desc()))
    return [s for s in db.session.scalars(query) if can_see_score(user, s)]


def scores_visible_condition(user: User):
    """An SQL condition on CallScore for the scores this user may see (reports and lists)."""
    if user.has_role(Role.ENABLEMENT):
        return True
    led = select(Team.id).where(Team.manager_id == user.id)
    conditions = [CallScore.rep_id == user.id, CallScore.scorer_id == user.id]
    if user.has_role(Role.MANAGER):
        members = select(User.id).where(or_(User.team_id.in_(led), *(
            [User.team_id == user.team_id] if user.team_id is not None else [])))
        conditions.append(CallScore.rep_id.in_(members))
    return or_(*conditions)


# Scoring -------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerIn:
    """One answer as the form or the API gives it: the text value and an optional second of the call."""

    question_id: int
    value: str
    moment_s: float | None = None


@dataclass
class Scored:
    score: CallScore
    stale: bool  # the scorecard changed since the version scored
    fulfilled: list[FeedbackRequest] = field(default_factory=list)


class ScorecardClosed(UserError):
    """The scorecard was archived while someone scored; the message says so and the form keeps the answers."""


def points_of(question: ScorecardQuestion, value: str) -> float | None:
    """The share (0..1) of the question's weight an answer earns, or a UserError for an answer that does not fit."""
    value = value.strip()
    if question.kind == QuestionKind.TEXT:
        if len(value) > MAX_TEXT:
            raise UserError(_("“%(q)s”: at most %(n)d characters.", q=question.prompt, n=MAX_TEXT))
        return None
    if question.kind == QuestionKind.YES_NO:
        if value not in ("yes", "no"):
            raise UserError(_("“%(q)s”: answer yes or no.", q=question.prompt))
        return 1.0 if value == "yes" else 0.0
    if question.kind == QuestionKind.SCALE:
        if not _ASCII_NUMBER.fullmatch(value) or not 1 <= int(value) <= SCALE_MAX:
            raise UserError(_("“%(q)s”: choose a number from 1 to 5.", q=question.prompt))
        return (int(value) - 1) / (SCALE_MAX - 1)
    if not _ASCII_NUMBER.fullmatch(value) or int(value) >= len(question.options):
        raise UserError(_("“%(q)s”: choose one of the options.", q=question.prompt))
    return question.options[int(value)]["points"] / 100


def weighted_total(pairs: Sequence[tuple[ScorecardQuestion, float | None]]) -> float | None:
    """The weighted score in % over the answered questions that count; None when none of them was answered."""
    weight = sum(q.weight for q, p in pairs if p is not None and q.weight)
    if not weight:
        return None
    return round(100 * sum(q.weight * p for q, p in pairs if p is not None and q.weight) / weight, 1)


def _check_moment(moment: float | None, call: Call, prompt: str) -> float | None:
    if moment is None:
        return None
    limit = call.duration_s if call.duration_s else 86400
    if not math.isfinite(moment) or not 0 <= moment <= limit:
        raise UserError(_("“%(q)s”: the moment must be a second within the call (0 to %(max)d).", q=prompt,
                          max=int(limit)))
    return float(int(moment))


def score_call(call: Call, version: ScorecardVersion, scorer: User, answers: Sequence[AnswerIn], *, note: str = "",
               now: datetime | None = None) -> Scored:
    """Save a new score of the call against the version the scorer saw; fulfils open feedback requests on the call
    when a manager scores it, and tells the rep. The caller commits."""
    if not can_score(scorer, call):
        raise NotAllowed(_("You may score only your own calls and, as a manager, your team's."))
    if not version.scorecard.is_active:
        raise ScorecardClosed(_("The scorecard “%(title)s” was archived while you were scoring, so it no longer "
                                "accepts scores. Your answers are still in the form: copy them or choose another "
                                "scorecard.", title=version.scorecard.title))
    card = version.scorecard
    if card.stage is not None and card.stage != call.stage:
        raise UserError(_("This scorecard is for another deal stage than the call's."))
    if len(note) > MAX_NOTE:
        raise UserError(_("The note has at most %(n)d characters.", n=MAX_NOTE))
    by_id = {q.id: q for q in version.questions}
    given: dict[int, AnswerIn] = {}
    for given_answer in answers:
        if given_answer.question_id not in by_id:
            raise UserError(_("An answer is for a question this scorecard version does not have."))
        given[given_answer.question_id] = given_answer
    rows, pairs = [], []
    for q in version.questions:
        a = given.get(q.id)
        if a is None or not a.value.strip():
            if a is not None and a.moment_s is not None:
                raise UserError(_("“%(q)s”: a moment needs an answer.", q=q.prompt))
            continue
        points = points_of(q, a.value)
        rows.append(ScoreAnswer(question_id=q.id, value=a.value.strip(), points=points,
                                moment_s=_check_moment(a.moment_s, call, q.prompt)))
        pairs.append((q, points))
    if not rows:
        raise UserError(_("Answer at least one question."))
    is_self = scorer.id == call.rep_id
    score = CallScore(call_id=call.id, version_id=version.id, scorer_id=scorer.id, rep_id=call.rep_id,
                      is_self=is_self, total_pct=weighted_total(pairs), note=note.strip(), answers=rows)
    if now is not None:
        score.created_at = now
    db.session.add(score)
    db.session.flush()
    result = Scored(score, stale=card.current is not None and card.current.id != version.id)
    if not is_self and call.rep_id is not None:
        result.fulfilled = _fulfil_requests(call, score, now)
        rep = db.session.get(User, call.rep_id)
        assert rep is not None
        with in_locale_of(rep):
            total = _("%(pct)s%%", pct=score.total_pct) if score.total_pct is not None else "–"
            message = _("%(who)s scored your call “%(call)s” with “%(card)s”: %(total)s", who=scorer.name,
                        call=call.title, card=card.title, total=total)
        notify(rep, "call_scored", message, f"/coaching/scores/{score.id}", now=now)
    return result


def _fulfil_requests(call: Call, score: CallScore, now: datetime | None) -> list[FeedbackRequest]:
    from enable.db import utcnow

    open_ones = list(db.session.scalars(select(FeedbackRequest).where(
        FeedbackRequest.call_id == call.id, FeedbackRequest.rep_id == call.rep_id,
        FeedbackRequest.fulfilled_at.is_(None))))
    for request in open_ones:
        request.fulfilled_at = now or utcnow()
        request.score_id = score.id
    return open_ones


def answer_label(answer: ScoreAnswer) -> str:
    """An answer as the score page shows it."""
    q = answer.question
    if q.kind == QuestionKind.YES_NO:
        return _("Yes") if answer.value == "yes" else _("No")
    if q.kind == QuestionKind.SCALE:
        return _("%(n)s of 5", n=answer.value)
    if q.kind == QuestionKind.CHOICE and answer.value.isdigit() and int(answer.value) < len(q.options):
        return str(q.options[int(answer.value)]["label"])
    return answer.value


# Feedback requests ---------------------------------------------------------------------------------------------------


def request_feedback(call: Call, rep: User, manager_id: int | None, *, note: str = "", due_on: date | None = None,
                     today: date, now: datetime | None = None) -> FeedbackRequest:
    """The rep of a call asks one of their managers for feedback on it; the manager is notified. The caller commits."""
    if call.rep_id != rep.id:
        raise NotAllowed(_("You can ask for feedback only on your own calls."))
    managers = {m.id: m for m in managers_of(rep)}
    if not managers:
        raise UserError(_("You have no manager to ask: ask your admin to set your team's manager."))
    manager = managers.get(manager_id) if manager_id is not None else next(iter(managers.values()))
    if manager is None:
        raise UserError(_("Choose one of your managers."))
    if due_on is not None and due_on < today:
        raise UserError(_("The due date is in the past."))
    if len(note) > MAX_NOTE:
        raise UserError(_("The note has at most %(n)d characters.", n=MAX_NOTE))
    existing = db.session.scalar(select(FeedbackRequest).where(
        FeedbackRequest.call_id == call.id, FeedbackRequest.manager_id == manager.id,
        FeedbackRequest.fulfilled_at.is_(None)))
    if existing is not None:
        raise UserError(_("You already asked %(name)s for feedback on this call.", name=manager.name))
    request = FeedbackRequest(call_id=call.id, rep_id=rep.id, manager_id=manager.id, note=note.strip(), due_on=due_on)
    db.session.add(request)
    db.session.flush()
    with in_locale_of(manager):
        due = _(", due %(day)s", day=format_date(due_on)) if due_on else ""
        message = _("%(rep)s asks for feedback on “%(call)s”%(due)s", rep=rep.name, call=call.title, due=due)
    notify(manager, "feedback_request", message, f"/coaching/calls/{call.id}/score", now=now)
    return request


def open_requests(call: Call, rep_id: int) -> list[FeedbackRequest]:
    return list(db.session.scalars(select(FeedbackRequest).where(
        FeedbackRequest.call_id == call.id, FeedbackRequest.rep_id == rep_id, FeedbackRequest.fulfilled_at.is_(None))
        .options(selectinload(FeedbackRequest.manager))))


@dataclass(frozen=True)
class QueueItem:
    request: FeedbackRequest
    overdue: bool


def queue_for(manager: User, today: date) -> list[QueueItem]:
    """A manager's open feedback requests, overdue first, then by due date (none last), then oldest."""
    found = db.session.scalars(select(FeedbackRequest).where(
        FeedbackRequest.manager_id == manager.id, FeedbackRequest.fulfilled_at.is_(None))
        .options(selectinload(FeedbackRequest.rep), selectinload(FeedbackRequest.call)))
    items = [QueueItem(r, r.due_on is not None and r.due_on < today) for r in found]
    return sorted(items, key=lambda i: (not i.overdue, i.request.due_on is None, i.request.due_on or today,
                                        i.request.created_at, i.request.id))


def send_reminders(today: date, now: datetime | None = None) -> int:
    """Remind managers once a day of open requests due tomorrow or earlier (overdue ones included); returns how many
    reminders went out. The caller commits."""
    from datetime import timedelta

    due = list(db.session.scalars(select(FeedbackRequest).where(
        FeedbackRequest.fulfilled_at.is_(None), FeedbackRequest.due_on.is_not(None),
        FeedbackRequest.due_on <= today + timedelta(days=1),
        or_(FeedbackRequest.reminded_on.is_(None), FeedbackRequest.reminded_on < today))
        .options(selectinload(FeedbackRequest.rep), selectinload(FeedbackRequest.call),
                 selectinload(FeedbackRequest.manager))))
    for r in due:
        assert r.due_on is not None
        with in_locale_of(r.manager):
            if r.due_on < today:
                message = _("Overdue since %(day)s: %(rep)s asked for feedback on “%(call)s”",
                            day=format_date(r.due_on), rep=r.rep.name, call=r.call.title)
            else:
                message = _("Due %(day)s: %(rep)s asked for feedback on “%(call)s”", day=format_date(r.due_on),
                            rep=r.rep.name, call=r.call.title)
        notify(r.manager, "feedback_request", message, f"/coaching/calls/{r.call_id}/score", now=now)
        r.reminded_on = today
    return len(due)
