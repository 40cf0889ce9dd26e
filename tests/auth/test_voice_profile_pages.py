"""A voice profile is personal data: its owner and admins see it and can delete it, nobody else; it goes with
its user."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select

from enable.audit import AuditEvent
from enable.auth.models import Role, User, VoiceProfile
from enable.extensions import db
from enable.transcription.voiceprint import Voice


def _profile(app, user_id: int, calls: int = 3, seconds: float = 450.0) -> None:
    vector = np.ones(192, dtype=np.float32) / np.sqrt(192)
    with app.app_context():
        db.session.add(VoiceProfile(user_id=user_id, vector=Voice(vector, seconds).to_bytes(), seconds=seconds,
                                    calls=calls, model="campplus", call_ids=list(range(calls))))
        db.session.commit()


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(VoiceProfile))


def test_the_owner_and_admins_see_the_profile_and_others_do_not(app, users, login):
    _profile(app, users[Role.REP])
    line = "Voice profile built from 3 calls, 8 min of speech"
    assert line in login(Role.REP).get("/auth/settings").get_data(as_text=True)
    assert line in login(Role.ADMIN).get(f"/auth/users/{users[Role.REP]}").get_data(as_text=True)
    for role in (Role.MANAGER, Role.ENABLEMENT):
        assert line not in login(role).get("/auth/settings").get_data(as_text=True)
        assert login(role).get(f"/auth/users/{users[Role.REP]}").status_code == 403
        assert login(role).post(f"/auth/users/{users[Role.REP]}/voice/delete").status_code == 403
    # another user's "delete my profile" deletes only their own (none here)
    login(Role.MANAGER).post("/auth/settings/voice/delete")
    assert _count(app) == 1


def test_an_admin_deletes_a_users_profile_and_it_is_audited(app, users, login):
    _profile(app, users[Role.REP])
    page = login(Role.ADMIN).post(f"/auth/users/{users[Role.REP]}/voice/delete", follow_redirects=True)
    assert "The voice profile of Rep User was deleted." in page.get_data(as_text=True)
    assert "No voice profile" in page.get_data(as_text=True)
    assert _count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "voice_profile.delete")) is not None


def test_the_owner_deletes_their_profile_in_russian_too(app, users, login):
    _profile(app, users[Role.REP], calls=1, seconds=30.0)
    rep = login(Role.REP)
    rep.post("/auth/settings", data={"locale": "ru"})
    page = rep.get("/auth/settings").get_data(as_text=True)
    assert "Голосовой профиль построен по 1 звонку, 1 мин речи" in page
    assert "Голосового профиля нет" in rep.post("/auth/settings/voice/delete", follow_redirects=True).get_data(
        as_text=True)
    assert _count(app) == 0


def test_a_profile_goes_with_its_user(app, users):
    _profile(app, users[Role.REP])
    with app.app_context():
        db.session.delete(db.session.get(User, users[Role.REP]))
        db.session.commit()
    assert _count(app) == 0
