"""Limits under simultaneous requests: a real served site, requests fired at once from threads; a limit checked before
an insert holds however many arrive together (quiz attempts, API tokens, playlist bites, sign-in failures)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import func, select

from enable.api import tokens
from enable.api.tokens import ApiToken
from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning.models import Assignment, QuizAttempt, StepKind
from enable.search import playlists
from enable.search.models import Playlist, PlaylistItem
from tests.conftest import base_config, served
from tests.factories import PASSWORD
from tests.learning.factories import make_quiz, make_track
from tests.search.factories import make_bite, make_call

AT_ONCE = 8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app_config(request, tmp_path):
    """Each race is run on SQLite and on PostgreSQL (a database of the test's own)."""
    config = base_config(tmp_path)
    if request.param == "postgres":
        config["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue("own_postgres")
    return config


def _signed_in(base: str, copies: int = AT_ONCE, role: Role = Role.REP) -> list[requests.Session]:
    """Sessions of one user: signed in once through the form, the cookie copied into each (one browser, many tabs)."""
    first = requests.Session()
    response = first.post(f"{base}/auth/login", data={"email": f"{role.value}@example.test", "password": PASSWORD},
                          allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[-500:]
    sessions = [first]
    for _ in range(copies - 1):
        session = requests.Session()
        session.cookies.update(first.cookies)
        sessions.append(session)
    return sessions


def _at_once(sessions: list[requests.Session], send) -> list[requests.Response]:
    """Send one request per session, all released at the same moment; their responses."""
    gate = threading.Barrier(len(sessions))

    def one(session: requests.Session) -> requests.Response:
        gate.wait(timeout=30)
        return send(session)

    with ThreadPoolExecutor(len(sessions)) as pool:
        return list(pool.map(one, sessions))


def _count(app, query) -> int:
    with app.app_context():
        return db.session.scalar(query) or 0


def test_a_quiz_with_one_attempt_stores_one_however_many_are_submitted_at_once(app, users):
    with app.app_context():
        quiz = make_quiz(n_questions=2, max_attempts=1)
        db.session.commit()
        quiz_id, question_ids = quiz.id, [q.id for q in quiz.questions]
    with served(app) as base:
        sessions = _signed_in(base)
        answers = {f"q{q}": "0" for q in question_ids}
        responses = _at_once(sessions, lambda s: s.post(f"{base}/learning/quizzes/{quiz_id}/take", data=answers,
                                                        allow_redirects=False, timeout=60))
        assert all(r.status_code == 302 for r in responses), [r.status_code for r in responses]
        kept = [r for r in responses if "/learning/attempts/" in r.headers["Location"]]
        assert len(kept) == 1
        refused = sessions[responses.index(next(r for r in responses if r not in kept))]
        page = refused.get(f"{base}/learning/quizzes/{quiz_id}/take", timeout=30).text
        assert "You have used all 1 attempts" in page
    assert _count(app, select(func.count(QuizAttempt.id)).where(QuizAttempt.quiz_id == quiz_id)) == 1


def test_tokens_made_at_once_stay_within_the_limit(app, users, monkeypatch):
    monkeypatch.setattr(tokens, "MAX_TOKENS_PER_USER", 2)
    with served(app) as base:
        sessions = _signed_in(base)
        responses = _at_once(sessions, lambda s: s.post(f"{base}/settings/api-tokens",
                                                        data={"name": "sync", "scope": "read"}, timeout=60))
        assert all(r.status_code in (200, 422) for r in responses), [r.status_code for r in responses]
        assert sum("Copy it now" in r.text for r in responses) == 2
    assert _count(app, select(func.count(ApiToken.id)).where(ApiToken.user_id == users[Role.REP])) == 2


@pytest.mark.parametrize("same_bite", [True, False])
def test_bites_added_to_a_playlist_at_once_stay_within_its_limits(app, users, monkeypatch, same_bite):
    monkeypatch.setattr(playlists, "MAX_ITEMS", 2)
    with app.app_context():
        call = make_call()
        bite_ids = [make_bite(call, f"bite {i}", seq=i).id for i in range(AT_ONCE)]
        playlist = playlists.create_playlist(db.session.get(User, users[Role.REP]), "Price talk")
        db.session.commit()
        playlist_id = playlist.id
    with served(app) as base:
        sessions = _signed_in(base)
        chosen = iter([bite_ids[0]] * AT_ONCE if same_bite else bite_ids)
        lock = threading.Lock()

        def add(session: requests.Session) -> requests.Response:
            with lock:
                bite_id = next(chosen)
            return session.post(f"{base}/search/playlists/items", data={"playlist_id": playlist_id,
                                                                        "bite_id": bite_id},
                                allow_redirects=False, timeout=60)

        responses = _at_once(sessions, add)
        assert all(r.status_code == 302 for r in responses), [r.status_code for r in responses]
    with app.app_context():
        positions = list(db.session.scalars(select(PlaylistItem.position)
                                            .where(PlaylistItem.playlist_id == playlist_id)
                                            .order_by(PlaylistItem.position)))
        assert db.session.get(Playlist, playlist_id) is not None
    assert positions == ([0] if same_bite else [0, 1])


def test_wrong_passwords_sent_at_once_are_each_counted_and_only_the_limit_is_checked(app, users):
    limit = app.config["LOGIN_MAX_FAILURES"]
    with served(app) as base:
        sessions = [requests.Session() for _ in range(40)]
        responses = _at_once(sessions, lambda s: s.post(f"{base}/auth/login", data={
            "email": "rep@example.test", "password": "wrong-password"}, allow_redirects=False, timeout=120))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [401] * limit + [429] * (40 - limit)
        assert "Too many failed attempts" in next(r.text for r in responses if r.status_code == 429)
        # the account stays locked, even for the right password
        right = requests.post(f"{base}/auth/login", data={"email": "rep@example.test", "password": PASSWORD},
                              allow_redirects=False, timeout=30)
        assert right.status_code == 429
    with app.app_context():
        assert db.session.get(User, users[Role.REP]).locked_until is not None


def test_a_track_assigned_at_once_is_given_once(app, users):
    with app.app_context():
        track = make_track([(StepKind.SIGNOFF, "Runs a discovery call")])
        db.session.commit()
        track_id = track.id
    with served(app) as base:
        sessions = _signed_in(base, role=Role.ENABLEMENT)
        responses = _at_once(sessions, lambda s: s.post(f"{base}/learning/tracks/{track_id}/assign", data={
            "users": users[Role.REP], "start": "2026-03-02"}, allow_redirects=False, timeout=60))
        assert all(r.status_code == 302 for r in responses), [r.status_code for r in responses]
    assert _count(app, select(func.count(Assignment.id)).where(Assignment.track_id == track_id)) == 1
