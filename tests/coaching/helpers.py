"""Makers for coaching tests: a team with its manager and reps, calls of theirs, and a scorecard."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from enable.auth.models import Role
from enable.calls.models import Call, CallStatus
from enable.coaching import services
from enable.coaching.models import QuestionKind
from enable.extensions import db
from tests.factories import make_team, make_user

_seq = itertools.count(1)

QUESTIONS = """\
[yesno 2] Did the rep agree on an agenda?
[scale 3] How well did they listen?
[choice 1] Next step: Meeting booked = 100 | Vague = 50 | None = 0
[text] One thing to do differently
"""


@dataclass
class People:
    team_id: int
    manager_id: int
    rep_id: int
    other_rep_id: int  # same team
    outsider_id: int  # a rep of another team
    other_manager_id: int  # the manager of the other team


def make_teams() -> People:
    """Two teams, each with a manager (the team's manager); the first has two reps, the second one."""
    a, b = make_team(name=f"Alpha {next(_seq)}"), make_team(name=f"Beta {next(_seq)}")
    manager = make_user(role=Role.MANAGER, team_id=a.id, name="Mia Manager")
    other_manager = make_user(role=Role.MANAGER, team_id=b.id, name="Oscar Other")
    a.manager_id, b.manager_id = manager.id, other_manager.id
    rep = make_user(team_id=a.id, name="Rita Rep")
    other = make_user(team_id=a.id, name="Tom Teammate")
    outsider = make_user(team_id=b.id, name="Olga Outsider")
    db.session.flush()
    return People(a.id, manager.id, rep.id, other.id, outsider.id, other_manager.id)


def make_call(rep_id: int | None, team_id: int | None = None, *, stage: str | None = None,
              duration_s: float = 600.0, deal_id: int | None = None) -> Call:
    n = next(_seq)
    call = Call(title=f"Call {n}", status=CallStatus.READY, sha256=f"{n:064x}", media_path=f"x/{n}.ogg",
                original_filename=f"{n}.ogg", content_type="audio/ogg", duration_s=duration_s, rep_id=rep_id,
                team_id=team_id, stage=stage, deal_id=deal_id)
    db.session.add(call)
    db.session.flush()
    return call


def make_scorecard(title: str = "Basics", questions: str = QUESTIONS, stage: str | None = None):
    return services.create_scorecard(title, services.parse_questions(questions), stage=stage)


def answers_for(version, *, yes: str = "yes", scale: str = "5", choice: str = "0", text: str = "Slow down",
                moment: float | None = None) -> list[services.AnswerIn]:
    values = {QuestionKind.YES_NO: yes, QuestionKind.SCALE: scale, QuestionKind.CHOICE: choice,
              QuestionKind.TEXT: text}
    return [services.AnswerIn(q.id, values[q.kind], moment if q.kind == QuestionKind.SCALE else None)
            for q in version.questions]
