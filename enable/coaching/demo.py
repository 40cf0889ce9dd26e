"""Demo coaching: the manager scores the rep's sample calls with the starter scorecards, the rep scores one of
their own and asks for feedback on another (so the manager's home shows a queue and the report has figures)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from enable.auth.models import User
from enable.calls.models import Call, CallStatus
from enable.coaching import services
from enable.coaching.models import CallScore, FeedbackRequest, QuestionKind
from enable.db import utcnow
from enable.demo import register_demo_step
from enable.extensions import db


def _answers(version, seed: int, length_s: float) -> list[services.AnswerIn]:
    out = []
    for n, q in enumerate(version.questions):
        pick = (seed + n) % 5
        if q.kind == QuestionKind.YES_NO:
            value = "yes" if pick else "no"
        elif q.kind == QuestionKind.SCALE:
            value = str(1 + (seed * 3 + n) % 5)
        elif q.kind == QuestionKind.CHOICE:
            value = str(pick % len(q.options))
        else:
            value = "Slow down after the price question." if seed % 2 else "Good recap at the end."
        moment = float(int(length_s * (n + 1) / (len(version.questions) + 1)))
        out.append(services.AnswerIn(q.id, value, moment if q.kind == QuestionKind.SCALE else None))
    return out


def load_demo_coaching(users: dict[str, User]) -> str | None:
    manager = users.get("manager@example.test")
    rep = users.get("rep@example.test")
    if manager is None or rep is None:
        return None
    if db.session.scalar(select(CallScore.id).limit(1)) is not None:
        return "already there"
    calls = list(db.session.scalars(select(Call).where(Call.rep_id == rep.id, Call.status == CallStatus.READY)
                                    .order_by(Call.id)))
    if not calls:
        return None
    now = utcnow()
    scored = 0
    for i, call in enumerate(calls):
        cards = services.scorecards_for_call(call)
        if not cards or i == len(calls) - 1 and len(calls) > 1:
            continue
        version = cards[0].current
        assert version is not None
        length = call.duration_s or 60
        services.score_call(call, version, manager, _answers(version, i, length), now=now - timedelta(days=7 * i))
        scored += 1
        if i == 0:
            services.score_call(call, version, rep, _answers(version, i + 2, length), now=now - timedelta(days=7 * i))
    last = calls[-1]
    if len(calls) > 1 and not db.session.scalar(select(FeedbackRequest.id).where(FeedbackRequest.call_id == last.id)):
        services.request_feedback(last, rep, manager.id, note="How did I handle the price question?",
                                  due_on=now.date() + timedelta(days=2), today=now.date(), now=now)
    return f"{scored} calls scored, 1 feedback request"


register_demo_step("coaching", load_demo_coaching)
