"""The rep found by voice, end to end with the real speech and speaker models on synthesized calls: a profile learnt
from a stereo call's rep channel names the rep on a one-channel call; "this is the rep" relabels transcript, bites,
figures and profile; the profile is personal data (its owner and admins see it, it goes with the user, exports
leave it out unless asked)."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from enable import create_app
from enable.auth.models import Role, User, VoiceProfile
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import CallStatus, CallVoice
from enable.extensions import db
from enable.pipeline import ingest_call
from tests.calls.helpers import call_of
from tests.conftest import PASSWORD, base_config

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stereo call whose left channel (the rep's) is the second test voice, and a one-channel conversation of the
    first and second voices (the second is the rep, who does not speak first)."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to synthesize the test voices (apt-get install espeak-ng sox)")
    from synth_speakers import synthesize_conversation, synthesize_stereo_call

    folder = tmp_path_factory.mktemp("profiles")
    synthesize_stereo_call(folder / "stereo.wav", rep=1, customer=2, seconds=30)
    synthesize_conversation(folder / "mono.wav", voices=2, language="en", seconds=40, seed=2)
    return folder


def _ingest(app, path: Path, rep_id: int | None) -> int:
    with app.app_context():
        call = calls.accept_file(path, calls.CallDetails(rep_id=rep_id)).call
        db.session.commit()
        ingest_call(call.id)
        assert call_of(call.id).status == CallStatus.READY, call_of(call.id).error
        return call.id


def _truth(path: Path) -> list[tuple[float, float, str]]:
    return [tuple(t) for t in json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["turns"]]


def _share_in(words, turns, voice: str) -> float:
    """The share of `words` whose middle falls in a true turn of `voice`."""
    inside = [any(a <= (w.start + w.end) / 2 <= b for a, b, name in turns if name == voice) for w in words]
    return sum(inside) / max(len(inside), 1)


def test_a_profile_from_a_stereo_call_names_the_rep_on_a_one_channel_call(app, users, login, runner, audio):
    rep_id = users[Role.REP]
    stereo_id = _ingest(app, audio / "stereo.wav", rep_id)
    with app.app_context():
        profile = db.session.scalar(select(VoiceProfile).where(VoiceProfile.user_id == rep_id))
        assert profile is not None and profile.calls == 1 and profile.seconds > 10 and profile.model == "campplus"
        learnt = (profile.seconds, bytes(profile.vector))
        # the same call processed again (a worker taking it over, transcribing again) is not learnt twice
        call_of(stereo_id).status = CallStatus.QUEUED
        db.session.commit()
        ingest_call(stereo_id)
        db.session.expire_all()
        profile = db.session.scalar(select(VoiceProfile).where(VoiceProfile.user_id == rep_id))
        assert profile.calls == 1 and (profile.seconds, bytes(profile.vector)) == learnt

    call_id = _ingest(app, audio / "mono.wav", rep_id)
    with app.app_context():
        transcript = calls.read_transcript(call_id)
        assert transcript.speakers == ["rep", "customer"]
        rep_words = [w for w in transcript.words() if w.speaker == "rep"]
        assert _share_in(rep_words, _truth(audio / "mono.wav"), "voice2") >= 0.85
        assert set(call_of(call_id).stats["talk_ratio"]) == {"rep", "customer"}
        assert {s for b in call_of(call_id).bites for s in b.speakers} <= {"rep", "customer"}
        assert db.session.scalar(select(func.count()).select_from(CallVoice)) == 0  # named: no voice kept
    page = login(Role.MANAGER).get(f"/calls/{call_id}").get_data(as_text=True)
    assert "Rep:" in page and "Customer:" in page and "is the rep" not in page

    # personal data: the owner sees it on their settings, an admin on the user's page, nobody else
    assert "Voice profile built from 1 call" in login(Role.REP).get("/auth/settings").get_data(as_text=True)
    assert "No voice profile" in login(Role.MANAGER).get("/auth/settings").get_data(as_text=True)
    assert "Voice profile built from 1 call" in login(Role.ADMIN).get(f"/auth/users/{rep_id}").get_data(as_text=True)
    assert login(Role.ENABLEMENT).get(f"/auth/users/{rep_id}").status_code == 403

    # exports leave it out unless asked
    plain, personal = app.config["ENABLE_DATA_DIR"] / "plain.zip", app.config["ENABLE_DATA_DIR"] / "personal.zip"
    assert runner.invoke(args=["export", str(plain)]).exit_code == 0
    assert runner.invoke(args=["export", str(personal), "--with-voice-profiles"]).exit_code == 0
    with zipfile.ZipFile(plain) as zf:
        assert "tables/voice_profile.json" not in zf.namelist()
        assert json.loads(zf.read("manifest.json"))["left_out"]["voice_profile"] == ["*"]
    with zipfile.ZipFile(personal) as zf:
        rows = json.loads(zf.read("tables/voice_profile.json"))["rows"]
        assert [r["user_id"] for r in rows] == [rep_id]

    # deleted with the user
    with app.app_context():
        db.session.delete(db.session.get(User, rep_id))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(VoiceProfile)) == 0


def test_this_is_the_rep_relabels_transcript_bites_figures_and_teaches_the_profile(app, users, login, audio):
    rep_id = users[Role.REP]
    call_id = _ingest(app, audio / "mono.wav", rep_id)  # no profile yet: the speakers stay unnamed
    with app.app_context():
        assert calls.read_transcript(call_id).speakers == ["speaker1", "speaker2"]
        assert db.session.scalar(select(func.count()).select_from(CallVoice)) == 2
        bite_ids = [b.id for b in call_of(call_id).bites]
    manager = login(Role.ENABLEMENT)  # enablement manages every call
    page = manager.get(f"/calls/{call_id}").get_data(as_text=True)
    assert "Speaker 1 is the rep" in page and "Speaker 2 is the rep" in page
    assert "is the rep" not in login(Role.REP).get(f"/calls/{call_id}").get_data(as_text=True)
    assert login(Role.REP).post(f"/calls/{call_id}/speakers/speaker2/rep").status_code == 403
    # a manager of another team may not either (the role passes, the call's check refuses)
    assert login(Role.MANAGER).post(f"/calls/{call_id}/speakers/speaker2/rep").status_code == 403

    # the transcript cannot be saved (its captions' name taken by a folder): nothing changes, the reason is shown
    captions = app.config["TRANSCRIPTS_DIR"] / f"{call_id}.vtt"
    kept = captions.read_bytes()
    captions.unlink()
    (captions / "blocker").mkdir(parents=True)
    failed = manager.post(f"/calls/{call_id}/speakers/speaker2/rep", follow_redirects=True).get_data(as_text=True)
    assert "The transcript could not be saved" in failed and "Speaker 2 is the rep" in failed
    with app.app_context():
        assert calls.read_transcript(call_id).speakers == ["speaker1", "speaker2"]
        assert db.session.scalar(select(func.count()).select_from(CallVoice)) == 2
        assert db.session.scalar(select(func.count()).select_from(VoiceProfile)) == 0
        assert set(call_of(call_id).stats["talk_ratio"]) == {"speaker1", "speaker2"}
    shutil.rmtree(captions)
    captions.write_bytes(kept)

    response = manager.post(f"/calls/{call_id}/speakers/speaker2/rep", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Speaker 2 is now the rep" in page and "Rep:" in page and "Customer:" in page
    assert "Speaker 1:" not in page and "is the rep</button>" not in page
    with app.app_context():
        transcript = calls.read_transcript(call_id)
        assert transcript.speakers == ["rep", "customer"]
        assert _share_in([w for w in transcript.words() if w.speaker == "rep"], _truth(audio / "mono.wav"),
                         "voice2") >= 0.85
        call = call_of(call_id)
        assert set(call.stats["talk_ratio"]) == {"rep", "customer"}
        bites = db.session.scalars(select(Bite).where(Bite.call_id == call_id).order_by(Bite.start_s)).all()
        assert [b.id for b in bites] == bite_ids  # same cut, same bites: only their speakers changed
        assert {s for b in bites for s in b.speakers} == {"rep", "customer"}
        profile = db.session.scalar(select(VoiceProfile).where(VoiceProfile.user_id == rep_id))
        assert profile is not None and profile.calls == 1 and profile.seconds > 5
        assert db.session.scalar(select(func.count()).select_from(CallVoice)) == 0
    bite_page = manager.get(f"/bites/{bite_ids[0]}").get_data(as_text=True)
    assert "Speaker 1" not in bite_page and ("Rep" in bite_page or "Customer" in bite_page)
    # a second click finds nothing left to name
    again = manager.post(f"/calls/{call_id}/speakers/speaker1/rep", follow_redirects=True).get_data(as_text=True)
    assert "already named" in again

    # the owner deletes their profile from their settings
    rep = login(Role.REP)
    assert "Voice profile built from 1 call" in rep.get("/auth/settings").get_data(as_text=True)
    assert "No voice profile" in rep.post("/auth/settings/voice/delete", follow_redirects=True).get_data(as_text=True)


def test_confirming_the_rep_and_deleting_a_profile_need_the_form_token(app, users, tmp_path):
    strict = create_app(base_config(tmp_path / "strict", WTF_CSRF_ENABLED=True,
                                    SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    client = strict.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/auth/login").get_data(as_text=True)).group(1)
    assert client.post("/auth/login", data={"email": "admin@example.test", "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    assert client.post("/calls/1/speakers/speaker1/rep").status_code == 400
    assert client.post("/auth/settings/voice/delete").status_code == 400
    assert client.post("/auth/settings/voice/delete", data={"csrf_token": token}).status_code == 302
    with strict.app_context():
        db.session.remove()
        db.engine.dispose()
