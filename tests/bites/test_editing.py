"""Bite curation: rename, trim at word boundaries, split at a sentence, merge with the next bite. What names a bite
follows it, the index follows the commit, the transcript file is untouched, and a re-run keeps curated bites."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role, User
from enable.bites import editing
from enable.bites.models import Bite
from enable.bites.services import replace_bites, retag_all
from enable.calls.models import Call
from enable.calls.services import read_transcript, transcript_store
from enable.extensions import db
from enable.learning.models import StepKind, Track, TrackStep
from enable.search.index import SearchQuery
from enable.search.indexing import get_index
from enable.search.models import Playlist, PlaylistItem
from enable.usage import UsageEvent, UsageKind, record_usage
from tests.bites.test_views import LINES  # the same scripted call as the bite page's tests
from tests.factories import PASSWORD, make_team, make_user
from tests.search.factories import (
    AUDIO,
    index_everything,
    make_bite,
    make_call,
    seed_taxonomy,
    tag,
    transcript_from_lines,
    write_transcript,
)


@pytest.fixture
def bites(app, users):
    """A call of the manager's team with audio, a scripted transcript and three bites (words 0-8, 9-26, 27-end);
    returns ids."""
    with app.app_context():
        seed_taxonomy()
        rep = db.session.get(User, users[Role.REP])
        team = make_team(name="East")
        db.session.get(User, users[Role.MANAGER]).team_id = team.id
        call = make_call(media=AUDIO / "short_en.ogg", title="Northwind pricing call", rep_id=rep.id,
                         stage="negotiation", team_id=team.id)
        transcript = transcript_from_lines(LINES)
        write_transcript(call, transcript)
        words = list(transcript.words())
        first = make_bite(call, " ".join(w.text for w in words[:9]), seq=0, start_s=0.0, end_s=words[8].end,
                          first_word=0, last_word=8)
        middle = make_bite(call, " ".join(w.text for w in words[9:27]), seq=1, start_s=words[9].start,
                           end_s=words[26].end, first_word=9, last_word=26,
                           tags=[(tag("objection", "price"), "too expensive", 5.9), tag("stage", "negotiation")])
        last = make_bite(call, " ".join(w.text for w in words[27:]), seq=2, start_s=words[27].start,
                         end_s=words[-1].end, first_word=27, last_word=len(words) - 1,
                         tags=[(tag("competitor", "gong"), "Gong", 13.9)])
        db.session.commit()
        index_everything()
        return {"call": call.id, "first": first.id, "middle": middle.id, "last": last.id}


def _bite(bite_id: int) -> Bite | None:
    db.session.expire_all()
    return db.session.get(Bite, bite_id)


def _found(text: str) -> set[int]:
    return {hit.id for hit in get_index().search(SearchQuery(text=text)).hits}


def _transcript_bytes(call_id: int) -> bytes:
    return transcript_store().json_path(call_id).read_bytes()


def _words_in_order(call_id: int) -> list[tuple[int, int]]:
    return [(b.first_word, b.last_word) for b in db.session.scalars(
        select(Bite).where(Bite.call_id == call_id).order_by(Bite.seq))]


def test_enablement_renames_a_bite_and_retagging_keeps_the_name(app, login, bites):
    client = login(Role.ENABLEMENT)
    response = client.post(f"/bites/{bites['middle']}/rename", data={"title": "  Price pushback, <answered>  "},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Price pushback, &lt;answered&gt;" in html and "<answered>" not in html
    with app.app_context():
        retag_all()
        db.session.commit()
        bite = _bite(bites["middle"])
        assert bite.title == "Price pushback, <answered>" and bite.title_by_hand and bite.curated_at is not None
        assert _found("pushback") == {bites["middle"]}  # the index follows the commit
    empty = client.post(f"/bites/{bites['middle']}/rename", data={"title": "  "}, follow_redirects=True)
    assert "Give the bite a title." in empty.get_data(as_text=True)


def test_a_trim_snaps_to_words_plays_the_new_edges_and_leaves_the_transcript_file_alone(app, login, bites):
    with app.app_context():
        before = _transcript_bytes(bites["call"])
    client = login(Role.MANAGER)
    response = client.post(f"/bites/{bites['middle']}/trim", data={"start": "0:04.6", "end": "8.3"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Trimmed to the nearest word boundaries." in html
    with app.app_context():
        bite = _bite(bites["middle"])
        assert bite.text == "Honestly this is too expensive for us."
        assert bite.start_s == pytest.approx(4.5) and bite.end_s < 8.0
        assert f'data-start="{bite.start_s:.3f}" data-end="{bite.end_s:.3f}"' in html  # the player's new edges
        assert _transcript_bytes(bites["call"]) == before
        assert bites["middle"] not in _found("pays back")  # trimmed off: search no longer finds it there
        assert bites["middle"] in _found("expensive")
        assert [b.tag.key for b in bite.tags if not b.is_removed] == ["price", "negotiation"] or \
            {b.tag.key for b in bite.tags if not b.is_removed} == {"price", "negotiation"}


@pytest.mark.parametrize(("start", "end", "message"), [
    ("4.5", "99", "choose a start and an end within it"),
    ("-3", "6", "Give the start and the end as seconds"),
    ("0:00", "99:00", "choose a start and an end within it"),
    ("8", "5", "The start must come before the end."),
    ("1", "9", "would start inside the previous bite"),
    ("5", "14", "would end inside the next bite"),
    ("soon", "9", "Give the start and the end as seconds"),
])
def test_a_bad_trim_is_a_clear_error_and_changes_nothing(app, login, bites, start, end, message):
    client = login(Role.ENABLEMENT)
    html = client.post(f"/bites/{bites['middle']}/trim", data={"start": start, "end": end},
                       follow_redirects=True).get_data(as_text=True)
    assert message in html
    with app.app_context():
        bite = _bite(bites["middle"])
        assert (bite.first_word, bite.last_word, bite.curated_at) == (9, 26, None)


def test_a_rep_cannot_edit_bites(login, bites):
    client = login(Role.REP)
    for action, data in [("rename", {"title": "x"}), ("trim", {"start": "5", "end": "7"}), ("merge", {}),
                         ("split", {"at_word": "16"})]:
        assert client.post(f"/bites/{bites['middle']}/{action}", data=data).status_code == 403


def test_a_manager_edits_only_the_bites_of_their_team(app, login, bites):
    """A manager of another team neither sees the edit panel nor can rename, trim, split or merge; nothing changes.
    The call's own team manager and enablement may."""
    with app.app_context():
        make_user(role=Role.MANAGER, email="west-manager@example.test", team_id=make_team(name="West").id)
        db.session.commit()
        before = [(b.id, b.title, b.first_word, b.last_word, b.curated_at) for b in
                  db.session.scalars(select(Bite).where(Bite.call_id == bites["call"]).order_by(Bite.seq))]
        at = editing.page_split_points(_bite(bites["middle"]))[0].first_word
    west = app.test_client()
    assert west.post("/auth/login", data={"email": "west-manager@example.test", "password": PASSWORD}).status_code \
        == 302
    page = west.get(f"/bites/{bites['middle']}")
    assert page.status_code == 200 and "Edit this bite" not in page.get_data(as_text=True)
    for action, data in [("rename", {"title": "Mine now"}), ("trim", {"start": "5", "end": "7"}), ("merge", {}),
                         ("split", {"at_word": str(at)})]:
        assert west.post(f"/bites/{bites['middle']}/{action}", data=data).status_code == 403, action
    with app.app_context():
        db.session.expire_all()
        after = [(b.id, b.title, b.first_word, b.last_word, b.curated_at) for b in
                 db.session.scalars(select(Bite).where(Bite.call_id == bites["call"]).order_by(Bite.seq))]
        assert after == before
    for role in (Role.MANAGER, Role.ENABLEMENT):
        assert "Edit this bite" in login(role).get(f"/bites/{bites['middle']}").get_data(as_text=True)


def test_a_split_keeps_the_id_for_the_first_part_and_puts_the_second_after_it(app, login, users, bites):
    with app.app_context():
        playlist = Playlist(name="Pricing", owner_id=users[Role.MANAGER])
        db.session.add(playlist)
        db.session.flush()
        for n, key in enumerate(["first", "middle", "last"]):
            db.session.add(PlaylistItem(playlist_id=playlist.id, bite_id=bites[key], position=n))
        track = Track(slug="t", title="T")
        track.steps.append(TrackStep(kind=StepKind.BITE, item_id=bites["middle"], title="Hear it"))
        db.session.add(track)
        db.session.commit()
        playlist_id = playlist.id
        points = editing.page_split_points(_bite(bites["middle"]))
        assert [p.text for p in points] == ["I hear you.", "Let me show where the cost pays back."]
        at = points[0].first_word
    client = login(Role.ENABLEMENT)
    html = client.get(f"/bites/{bites['middle']}").get_data(as_text=True)
    assert f'<option value="{at}">' in html
    client.post(f"/bites/{bites['middle']}/split", data={"at_word": str(at)})
    with app.app_context():
        first = _bite(bites["middle"])
        assert first.text == "Honestly this is too expensive for us."
        second = db.session.scalar(select(Bite).where(Bite.call_id == bites["call"], Bite.seq == 2))
        assert second.text == "I hear you. Let me show where the cost pays back." and second.curated_at
        assert _words_in_order(bites["call"]) == [(0, 8), (9, at - 1), (at, 26), (27, 38)]
        items = db.session.scalars(select(PlaylistItem.bite_id).where(PlaylistItem.playlist_id == playlist_id)
                                   .order_by(PlaylistItem.position)).all()
        assert items == [bites["first"], bites["middle"], second.id, bites["last"]]
        assert db.session.scalar(select(TrackStep.item_id)) == bites["middle"]
        assert _found("pays back") == {second.id}
    bad = client.post(f"/bites/{bites['middle']}/split", data={"at_word": "3"}, follow_redirects=True)
    assert "Choose a sentence of this bite" in bad.get_data(as_text=True)


def test_a_merge_keeps_the_first_id_and_moves_what_named_the_second(app, login, users, bites):
    with app.app_context():
        playlist = Playlist(name="Competition", owner_id=users[Role.MANAGER])
        db.session.add(playlist)
        db.session.flush()
        db.session.add(PlaylistItem(playlist_id=playlist.id, bite_id=bites["last"], position=0))
        track = Track(slug="t", title="T")
        track.steps.append(TrackStep(kind=StepKind.BITE, item_id=bites["last"], title="Hear it"))
        db.session.add(track)
        rep = db.session.get(User, users[Role.REP])
        record_usage(rep, UsageKind.PLAY, "bite", bites["last"], seconds=5.0)
        db.session.commit()
    moved: list[tuple] = []
    hook = editing.on_bite_moved(lambda *args: moved.append(args))
    try:
        response = login(Role.ENABLEMENT).post(f"/bites/{bites['middle']}/merge", follow_redirects=True)
    finally:
        editing._moved_hooks.remove(hook)
    assert "Merged with the next bite" in response.get_data(as_text=True)
    with app.app_context():
        assert _bite(bites["last"]) is None
        merged = _bite(bites["middle"])
        assert merged.text.endswith("Many teams switch for the library.") and (merged.first_word, merged.last_word) \
            == (9, 38)
        assert {t.tag.key for t in merged.tags if not t.is_removed} >= {"price", "gong"}
        assert db.session.scalar(select(PlaylistItem.bite_id)) == bites["middle"]
        assert db.session.scalar(select(TrackStep.item_id)) == bites["middle"]
        assert db.session.scalar(select(UsageEvent.item_id).where(UsageEvent.kind == UsageKind.PLAY)) \
            == bites["middle"]
        assert _found("Gong") == {bites["middle"]}
        assert db.session.scalar(select(func.max(Bite.seq)).where(Bite.call_id == bites["call"])) == 1
    assert moved and moved[0][:3] == (bites["call"], bites["last"], bites["middle"])
    assert login(Role.REP).get(f"/bites/{bites['last']}").status_code == 404


def test_a_rerun_of_the_call_keeps_curated_bites_as_they_are(app, bites):
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.email == "manager@example.test"))
        editing.trim(_bite(bites["middle"]), 4.6, 8.3, manager)
        editing.rename(_bite(bites["middle"]), "The price objection", manager)
        db.session.commit()
        call = db.session.get(Call, bites["call"])
        replace_bites(call, read_transcript(call.id))
        db.session.commit()
        kept = _bite(bites["middle"])
        assert (kept.title, kept.text) == ("The price objection", "Honestly this is too expensive for us.")
        spans = _words_in_order(bites["call"])
        covered = [i for first, last in spans for i in range(first, last + 1)]
        assert len(covered) == len(set(covered))  # no word in two bites
        assert (9, 15) in spans


def test_a_rerun_sees_a_split_committed_while_it_was_starting(app, bites):
    """A re-run that loaded the call's bites before a curator's split committed: it takes the call's lock and reads
    the bites again, so both parts of the split stay as the curator left them and no word is in two bites."""
    import threading

    with app.app_context():
        call = db.session.get(Call, bites["call"])
        assert len(call.bites) == 3  # loaded as they were before the split
        transcript = read_transcript(call.id)
        at = editing.page_split_points(_bite(bites["middle"]))[0].first_word
        db.session.commit()  # end the read (a re-run's earlier steps), keeping the loaded bites
        call = db.session.get(Call, bites["call"])
        assert len(call.bites) == 3

        def curator() -> None:
            with app.app_context():
                manager = db.session.scalar(select(User).where(User.email == "manager@example.test"))
                editing.split(db.session.get(Bite, bites["middle"]), at, manager)
                db.session.commit()

        thread = threading.Thread(target=curator)
        thread.start()
        thread.join(timeout=60)
        replace_bites(call, transcript)
        db.session.commit()
        spans = _words_in_order(bites["call"])
        covered = [i for first, last in spans for i in range(first, last + 1)]
        assert len(covered) == len(set(covered)), spans  # no word in two bites
        assert (9, at - 1) in spans and (at, 26) in spans, spans
