"""Scorecards, versions, scoring, visibility and feedback requests, through the services on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import format_date
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.coaching import services
from enable.coaching.content import load_scorecards
from enable.coaching.models import CallScore, FeedbackRequest, QuestionKind, Scorecard
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.notifications import Notification
from tests.calls.helpers import load_content
from tests.coaching.helpers import QUESTIONS, answers_for, make_call, make_scorecard, make_teams
from tests.conftest import REPO
from tests.factories import make_user

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _user(user_id: int) -> User:
    return db.session.get(User, user_id)


def _notes(user_id: int, kind: str) -> list[str]:
    return list(db.session.scalars(select(Notification.message).where(Notification.user_id == user_id,
                                                                      Notification.kind == kind)))


def test_question_lines_are_read_and_written_back(ctx):
    specs = services.parse_questions(QUESTIONS)
    assert [s.kind for s in specs] == [QuestionKind.YES_NO, QuestionKind.SCALE, QuestionKind.CHOICE,
                                       QuestionKind.TEXT]
    assert [s.weight for s in specs] == [2, 3, 1, 0]
    assert specs[2].options == (("Meeting booked", 100), ("Vague", 50), ("None", 0))
    card = make_scorecard()
    assert services.parse_questions(services.questions_text(card.current)) == specs


@pytest.mark.parametrize("text", ["", "Did they?", "[yesno 500] Too heavy", "[choice] Next: Only = 100",
                                  "[choice] Next: A = 100 | B = 300", "[text] Only text", "[scale x] Bad weight"])
def test_bad_question_lines_are_refused_with_a_reason(ctx, text):
    with pytest.raises(UserError) as e:
        services.parse_questions(text)
    assert e.value.message


def test_total_is_the_weighted_score_in_percent(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    version = make_scorecard().current
    # yes (2 x 1) + scale 3 of 5 (3 x 0.5) + "Vague" (1 x 0.5) over weights 6 -> 4/6
    result = services.score_call(call, version, _user(people.manager_id),
                                 answers_for(version, scale="3", choice="1"), now=NOW)
    assert result.score.total_pct == pytest.approx(66.7)
    assert not result.score.is_self
    # unanswered questions are left out of the total, not counted as zero
    only_yes = [a for a in answers_for(version) if a.value == "yes"]
    assert services.score_call(call, version, _user(people.manager_id), only_yes).score.total_pct == 100.0


@pytest.mark.parametrize("field,value", [("yes", "maybe"), ("scale", "0"), ("scale", "6"), ("scale", "99999999999"),
                                         ("choice", "3"), ("choice", "-1"), ("text", "x" * 5000)])
def test_an_answer_out_of_range_is_refused_and_nothing_is_saved(ctx, field, value):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    version = make_scorecard().current
    with pytest.raises(UserError):
        services.score_call(call, version, _user(people.manager_id), answers_for(version, **{field: value}))
    db.session.rollback()
    assert db.session.scalar(select(CallScore.id)) is None


@pytest.mark.parametrize("moment", [-1.0, 601.0, float("inf"), float("nan")])
def test_a_moment_outside_the_call_is_refused(ctx, moment):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id, duration_s=600)
    version = make_scorecard().current
    with pytest.raises(UserError, match="within the call"):
        services.score_call(call, version, _user(people.manager_id), answers_for(version, moment=moment))


def test_an_answer_points_at_a_second_of_the_call(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    version = make_scorecard().current
    score = services.score_call(call, version, _user(people.manager_id), answers_for(version, moment=75.6)).score
    assert [a.moment_s for a in score.answers if a.question.kind == QuestionKind.SCALE] == [75.0]


def test_who_may_score(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    version = make_scorecard().current
    for allowed in (people.manager_id, people.rep_id):
        services.score_call(call, version, _user(allowed), answers_for(version))
    enablement = make_user(role=Role.ENABLEMENT)
    services.score_call(call, version, enablement, answers_for(version))
    for refused in (people.other_rep_id, people.outsider_id, people.other_manager_id):
        with pytest.raises(NotAllowed):
            services.score_call(call, version, _user(refused), answers_for(version))
    assert services.can_score(_user(people.manager_id), make_call(None)) is False


def test_scores_are_seen_by_the_rep_their_managers_and_enablement_never_by_other_reps(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    version = make_scorecard().current
    services.score_call(call, version, _user(people.manager_id), answers_for(version))
    services.score_call(call, version, _user(people.rep_id), answers_for(version, scale="1"))
    db.session.commit()
    for sees in (people.rep_id, people.manager_id, make_user(role=Role.ENABLEMENT).id,
                 make_user(role=Role.ADMIN).id):
        assert len(services.visible_scores(_user(sees), call)) == 2, sees
    for blind in (people.other_rep_id, people.outsider_id, people.other_manager_id):
        assert services.visible_scores(_user(blind), call) == [], blind
    visible = select(CallScore.id).where(services.scores_visible_condition(_user(people.other_rep_id)))
    assert db.session.scalars(visible).all() == []


def test_editing_a_scored_scorecard_makes_a_new_version_and_old_scores_keep_their_questions(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    card = make_scorecard()
    first = card.current
    old = services.score_call(call, first, _user(people.manager_id), answers_for(first)).score
    db.session.commit()
    second = services.update_scorecard(card, "Basics", services.parse_questions("[scale 1] Only one question now"))
    db.session.commit()
    assert second.number == 2 and second.id != first.id and services.version_has_scores(first)
    db.session.expire_all()
    old = db.session.get(CallScore, old.id)
    assert [q.prompt for q in old.version.questions][:2] == ["Did the rep agree on an agenda?",
                                                             "How well did they listen?"]
    assert old.total_pct == 100.0
    # unchanged questions make no version; the title is not versioned
    assert services.update_scorecard(card, "Basics renamed", services.parse_questions(
        "[scale 1] Only one question now")).id == second.id
    assert [v.number for v in card.versions] == [1, 2]


def test_a_score_is_saved_against_the_version_the_scorer_saw(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    card = make_scorecard()
    seen = card.current
    services.update_scorecard(card, "Basics", services.parse_questions("[yesno] New question"))
    result = services.score_call(call, seen, _user(people.manager_id), answers_for(seen))
    assert result.stale and result.score.version_id == seen.id


def test_an_archived_scorecard_accepts_no_score(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    card = make_scorecard()
    services.set_active(card, False)
    with pytest.raises(services.ScorecardClosed, match="no longer accepts scores"):
        services.score_call(call, card.current, _user(people.manager_id), answers_for(card.current))


def test_stage_scorecards_fit_calls_of_their_stage(ctx):
    load_content()
    people = make_teams()
    general = make_scorecard("General")
    staged = make_scorecard("Negotiation", stage="negotiation")
    negotiation = make_call(people.rep_id, people.team_id, stage="negotiation")
    discovery = make_call(people.rep_id, people.team_id, stage="discovery")
    assert [c.id for c in services.scorecards_for_call(negotiation)] == [staged.id, general.id]
    assert [c.id for c in services.scorecards_for_call(discovery)] == [general.id]
    with pytest.raises(UserError, match="another deal stage"):
        services.score_call(discovery, staged.current, _user(people.manager_id), answers_for(staged.current))
    with pytest.raises(UserError, match="no stage"):
        make_scorecard("Bad", stage="no-such-stage")


def test_feedback_request_queue_reminders_and_fulfilment(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    later = make_call(people.rep_id, people.team_id)
    version = make_scorecard().current
    rep, manager = _user(people.rep_id), _user(people.manager_id)
    today = NOW.date()
    request = services.request_feedback(call, rep, None, note="Price part?", due_on=today + timedelta(days=1),
                                        today=today, now=NOW)
    services.request_feedback(later, rep, manager.id, today=today, now=NOW)
    assert request.manager_id == manager.id
    assert _notes(manager.id, "feedback_request") == [
        f"Rita Rep asks for feedback on “{call.title}”, due {format_date(today + timedelta(days=1))}",
        f"Rita Rep asks for feedback on “{later.title}”"]
    with pytest.raises(UserError, match="already asked"):
        services.request_feedback(call, rep, manager.id, today=today)
    with pytest.raises(UserError, match="past"):
        services.request_feedback(later, rep, None, due_on=today - timedelta(days=1), today=today)
    with pytest.raises(NotAllowed):
        services.request_feedback(call, _user(people.other_rep_id), None, today=today)
    with pytest.raises(UserError, match="Choose one of your managers"):
        services.request_feedback(make_call(people.rep_id), rep, people.other_manager_id, today=today)

    # two days later the first is overdue and first in the queue; reminders go out once a day
    day = today + timedelta(days=2)
    queue = services.queue_for(manager, day)
    assert [(i.request.call_id, i.overdue) for i in queue] == [(call.id, True), (later.id, False)]
    assert services.send_reminders(day) == 1
    assert services.send_reminders(day) == 0
    assert any(m.startswith("Overdue since") for m in _notes(manager.id, "feedback_request"))

    # the rep's self-score does not fulfil it; the manager's does, and the rep hears of it
    services.score_call(call, version, rep, answers_for(version))
    assert request.fulfilled_at is None
    result = services.score_call(call, version, manager, answers_for(version), now=NOW)
    assert [r.id for r in result.fulfilled] == [request.id] and request.score_id == result.score.id
    assert [i.request.call_id for i in services.queue_for(manager, day)] == [later.id]
    assert _notes(rep.id, "call_scored") == [f"Mia Manager scored your call “{call.title}” with “Basics”: 100.0%"]


def test_a_rep_without_a_manager_is_told_so(ctx):
    lonely = make_user()
    call = make_call(lonely.id)
    with pytest.raises(UserError, match="no manager"):
        services.request_feedback(call, lonely, None, today=date(2026, 12, 1))


def test_starter_scorecards_load_once_and_reload_changes_nothing(ctx, tmp_path):
    load_content()
    report = load_scorecards(REPO / "content")
    db.session.commit()
    assert report.created == {"scorecards": 2}
    assert load_scorecards(REPO / "content").changed is False
    cards = {c.slug: c for c in db.session.scalars(select(Scorecard))}
    assert cards["negotiation"].stage == "negotiation" and cards["call-basics"].stage is None
    # a changed file, once the scorecard has scores, makes version 2
    people = make_teams()
    basics = cards["call-basics"]
    services.score_call(make_call(people.rep_id, people.team_id), basics.current, _user(people.manager_id),
                        answers_for(basics.current))
    (tmp_path / "scorecards").mkdir()
    text = (REPO / "content" / "scorecards" / "call-basics.yaml").read_text()
    (tmp_path / "scorecards" / "call-basics.yaml").write_text(text.replace("weight: 2", "weight: 4", 1))
    assert load_scorecards(tmp_path).updated == {"scorecards": 1}
    assert basics.current.number == 2


def test_feedback_requests_are_removed_with_their_call(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    services.request_feedback(call, _user(people.rep_id), None, today=date(2026, 12, 1))
    db.session.commit()
    db.session.delete(call)
    db.session.commit()
    assert db.session.scalar(select(FeedbackRequest.id)) is None


def test_the_daily_job_reminds_managers_and_is_scheduled(ctx):
    from enable.coaching import jobs
    from enable.db import utcnow
    from enable.queue import huey

    assert "daily_feedback_reminders" in {t.__name__ for t in huey._registry._periodic_tasks}
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    today = utcnow().date()
    services.request_feedback(call, _user(people.rep_id), None, due_on=today, today=today)
    db.session.commit()
    jobs.daily_feedback_reminders.call_local()
    assert any(m.startswith("Due ") for m in _notes(people.manager_id, "feedback_request"))


def test_notices_are_written_in_the_reader_s_language_not_the_sender_s(ctx):
    people = make_teams()
    call = make_call(people.rep_id, people.team_id)
    rep, manager = _user(people.rep_id), _user(people.manager_id)
    manager.locale = "ru"
    services.request_feedback(call, rep, manager.id, today=NOW.date(), now=NOW)
    assert _notes(manager.id, "feedback_request") == [f"Rita Rep просит отзыв о звонке «{call.title}»"]


@pytest.mark.parametrize("value", ["²", "٣", "1²", "9" * 400])
def test_an_answer_in_other_digits_is_refused_with_a_reason_not_a_crash(ctx, value):
    card = make_scorecard()
    scale = next(q for q in card.current.questions if q.kind == QuestionKind.SCALE)
    with pytest.raises(UserError, match="1 to 5"):
        services.points_of(scale, value)
