"""The bite page: player, transcript, evidence, media ranges, usage beacons, tag curation and best examples."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from enable import create_app
from enable.auth.models import Role, User
from enable.bites.models import Bite, BiteTag
from enable.bites.page import bite_words
from enable.bites.services import load_taxonomy, retag_bite
from enable.calls.services import read_transcript
from enable.deals.models import Deal
from enable.extensions import db
from enable.usage import UsageEvent, UsageKind
from tests.conftest import base_config
from tests.factories import PASSWORD
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
from tests.usage_beacon import page_shown

LINES = [
    ("rep", "Thanks for joining. Shall we look at the proposal?", 0.0, 4.0),
    ("customer", "Honestly this is too expensive for us.", 4.5, 8.0),
    ("rep", "I hear you. Let me show where the cost pays back.", 8.5, 12.0),
    ("customer", "We already use Gong for coaching.", 12.5, 15.0),
    ("rep", "Many teams switch for the library.", 15.5, 18.0),
]


@pytest.fixture
def call_with_bites(app, users):
    """A call with real audio (short_en.ogg), a scripted transcript, and three bites; returns ids."""
    with app.app_context():
        seed_taxonomy()
        rep = db.session.get(User, users[Role.REP])
        deal = Deal(external_id="D-9", name="Northwind", owner_id=rep.id)
        db.session.add(deal)
        db.session.flush()
        call = make_call(media=AUDIO / "short_en.ogg", title="Northwind pricing call", rep_id=rep.id,
                         deal_id=deal.id, stage="negotiation")
        transcript = transcript_from_lines(LINES)
        write_transcript(call, transcript)
        words = list(transcript.words())
        first = make_bite(call, " ".join(w.text for w in words[:9]), seq=0, start_s=0.0, end_s=words[8].end,
                          first_word=0, last_word=8, tags=[tag("stage", "negotiation")])
        middle = make_bite(call, " ".join(w.text for w in words[9:26]), seq=1, start_s=words[9].start,
                           end_s=words[25].end, first_word=9, last_word=25, title="Too expensive for us",
                           tags=[(tag("objection", "price"), "too expensive", 5.9), tag("stage", "negotiation")])
        last = make_bite(call, " ".join(w.text for w in words[26:]), seq=2, start_s=words[26].start,
                         end_s=words[-1].end, first_word=26, last_word=len(words) - 1,
                         tags=[(tag("competitor", "gong"), "Gong", 13.9)])
        db.session.commit()
        index_everything()
        return {"call": call.id, "deal": deal.id, "first": first.id, "middle": middle.id, "last": last.id,
                "start": middle.start_s, "end": middle.end_s}


def page_of(client, bite_id: int, **args) -> str:
    response = client.get(f"/bites/{bite_id}", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_bite_page_plays_from_the_bite_start_to_its_end(login, call_with_bites):
    ids = call_with_bites
    html = page_of(login(Role.REP), ids["middle"])
    media = re.search(r'<audio class="media" controls preload="metadata" data-media\s+src="([^"]+)"', html)
    assert media, html
    assert media.group(1) == f"/calls/{ids['call']}/media#t={ids['start']:.2f},{ids['end']:.2f}"
    assert f'data-start="{ids["start"]:.3f}"' in html and f'data-end="{ids["end"]:.3f}"' in html
    assert f'<track kind="captions" src="/calls/{ids["call"]}/captions.vtt"' in html
    assert "js/player.js" in html and '<meta name="csrf-token"' in html
    assert "<script>" not in html.split("<body", 1)[1].replace('<script src="', "")  # no inline script (CSP)


def test_the_transcript_shows_speakers_and_clickable_timed_words(login, call_with_bites):
    html = page_of(login(Role.REP), call_with_bites["middle"])
    transcript = html.split('data-transcript', 1)[1].split("</div>", 1)[0]
    speakers = re.findall(r'<span class="speaker speaker-(\w+)">', transcript)
    assert speakers == ["customer", "rep"]
    words = re.findall(r'<button type="button" class="word" data-start="([\d.]+)" data-end="[\d.]+">([^<]+)</button>',
                       transcript)
    assert [w for _, w in words][:5] == ["Honestly", "this", "is", "too", "expensive"]
    starts = [float(s) for s, _ in words]
    assert starts == sorted(starts) and starts[0] == pytest.approx(4.5)
    assert "Thanks" not in transcript and "Gong" not in transcript  # other bites' words stay out


def test_tags_show_their_evidence_with_a_link_to_the_second(login, call_with_bites):
    ids = call_with_bites
    html = page_of(login(Role.REP), ids["middle"])
    assert "Price or budget" in html
    assert re.search(rf'“too expensive” at <a href="/bites/{ids["middle"]}\?t=5" data-seek="5.900">0:05</a>', html)
    assert "the call&#39;s stage" in html or "the call's stage" in html


def test_previous_next_and_the_whole_call_are_one_click_away(login, call_with_bites):
    ids = call_with_bites
    html = page_of(login(Role.REP), ids["middle"])
    assert f'href="/bites/{ids["first"]}" rel="prev"' in html
    assert f'href="/bites/{ids["last"]}" rel="next"' in html
    assert f'href="/calls/{ids["call"]}"' in html
    first = page_of(login(Role.REP), ids["first"])
    assert 'rel="prev"' not in first


def test_a_share_link_opens_at_the_same_second(app, login, call_with_bites, users):
    ids = call_with_bites
    client = login(Role.REP)
    response = client.post(f"/bites/{ids['middle']}/share", data={"t": "7.4"}, headers={"Accept": "application/json"})
    assert response.status_code == 200
    url = response.get_json()["url"]
    assert url.endswith(f"/bites/{ids['middle']}?t=7")
    html = page_of(client, ids["middle"], t="7")
    assert 'data-initial="7.000"' in html and "#t=7.00," in html
    # A second outside the bite opens it at its start.
    assert f'data-initial="{ids["start"]:.3f}"' in page_of(client, ids["middle"], t="99")
    with app.app_context():
        share = db.session.scalar(select(UsageEvent).where(UsageEvent.kind == UsageKind.SHARE))
        assert (share.user_id, share.item_type, share.item_id, share.meta) == (
            users[Role.REP], "bite", ids["middle"], {"at_s": 7})


def test_views_and_plays_are_recorded_per_user_bite_and_deal(app, login, call_with_bites, users):
    ids = call_with_bites
    client = login(Role.REP)
    assert page_shown(client, page_of(client, ids["middle"], deal=ids["deal"])) == 204
    played = client.post(f"/bites/{ids['middle']}/play", json={"seconds": 3.25, "deal_id": ids["deal"]})
    assert played.status_code == 200 and played.get_json() == {"recorded": True, "seconds": 3.25}
    assert client.post(f"/bites/{ids['middle']}/play", data={"seconds": "2"}).get_json()["recorded"] is True
    assert client.post(f"/bites/{ids['middle']}/play", data={"seconds": "0"}).get_json()["recorded"] is False
    assert client.post(f"/bites/{ids['middle']}/play", data={"seconds": "many"}).status_code == 400
    # Far more than the bite lasts is capped at its length (plus a little slack).
    client.post(f"/bites/{ids['middle']}/play", data={"seconds": "9999"})
    with app.app_context():
        events = db.session.scalars(select(UsageEvent).order_by(UsageEvent.id)).all()
        summary = [(e.kind, e.item_id, e.deal_id, e.seconds) for e in events]
    assert summary[:3] == [(UsageKind.VIEW, ids["middle"], ids["deal"], None),
                           (UsageKind.PLAY, ids["middle"], ids["deal"], 3.25),
                           (UsageKind.PLAY, ids["middle"], None, 2.0)]
    assert summary[3][3] == pytest.approx(ids["end"] - ids["start"] + 5, abs=0.01)
    assert all(e.user_id == users[Role.REP] for e in events)


def test_a_deal_the_rep_does_not_own_is_not_credited(app, login, call_with_bites, users):
    ids = call_with_bites
    with app.app_context():
        other = Deal(external_id="D-10", name="Someone else's")
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    client = login(Role.REP)
    assert page_shown(client, page_of(client, ids["middle"], deal=other_id)) == 204
    client.post(f"/bites/{ids['middle']}/play", json={"seconds": 1.5, "deal_id": other_id})
    with app.app_context():
        assert db.session.scalars(select(UsageEvent.deal_id)).all() == [None, None]


def test_media_range_requests_return_206_with_the_right_bytes(login, call_with_bites):
    ids = call_with_bites
    client = login(Role.REP)
    html = page_of(client, ids["middle"])
    src = re.search(r'data-media\s+src="([^"#]+)#', html).group(1)
    whole = (AUDIO / "short_en.ogg").read_bytes()
    response = client.get(src, headers={"Range": "bytes=100-1099"})
    assert response.status_code == 206
    assert response.data == whole[100:1100]
    assert response.headers["Content-Range"] == f"bytes 100-1099/{len(whole)}"
    assert response.headers["Accept-Ranges"] == "bytes"
    tail = client.get(src, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.data == whole[-50:]


def test_enablement_adds_and_removes_tags_and_search_follows(app, login, call_with_bites):
    ids = call_with_bites
    client = login(Role.ENABLEMENT)
    with app.app_context():
        timing = tag("objection", "timing").id
        price = tag("objection", "price").id
    assert "timing" not in _search_ids(client, objection="timing") and not _search_ids(client, objection="timing")
    response = client.post(f"/bites/{ids['middle']}/tags", data={"tag_id": timing}, follow_redirects=True)
    assert "Tag added." in response.get_data(as_text=True)
    assert _search_ids(client, objection="timing") == [ids["middle"]]

    response = client.post(f"/bites/{ids['middle']}/tags/{price}/remove", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "retagging will not add it back" in html
    assert _search_ids(client, objection="price") == []
    with app.app_context():
        link = db.session.scalar(select(BiteTag).where(BiteTag.bite_id == ids["middle"], BiteTag.tag_id == price))
        assert link.is_removed
        # Retagging from the transcript (which still says "too expensive") keeps the removed tag off.
        bite = db.session.get(Bite, ids["middle"])
        taxonomy = load_taxonomy()
        retag_bite(bite, taxonomy.tagger.tag(bite_words(bite, read_transcript(bite.call_id))), taxonomy, None)
        db.session.commit()
        link = db.session.scalar(select(BiteTag).where(BiteTag.bite_id == ids["middle"], BiteTag.tag_id == price))
        assert link.is_removed

    # Tagging it again by hand brings it back.
    client.post(f"/bites/{ids['middle']}/tags", data={"tag_id": price})
    assert _search_ids(client, objection="price") == [ids["middle"]]


def _search_ids(client, **args) -> list[int]:
    html = client.get("/search/", query_string=args).get_data(as_text=True)
    return [int(i) for i in re.findall(r'class="result-title"><a href="/bites/(\d+)"', html)]


def test_a_rep_cannot_change_tags_or_best_examples(app, login, call_with_bites):
    ids = call_with_bites
    client = login(Role.REP)
    with app.app_context():
        timing, price = tag("objection", "timing").id, tag("objection", "price").id
    html = page_of(client, ids["middle"])
    assert "/tags/" not in html and 'name="tag_id"' not in html and "Mark as best example" not in html
    assert client.post(f"/bites/{ids['middle']}/tags", data={"tag_id": timing}).status_code == 403
    assert client.post(f"/bites/{ids['middle']}/tags/{price}/remove").status_code == 403
    assert client.post(f"/bites/{ids['middle']}/best", data={"best": "1"}).status_code == 403
    manager = login(Role.MANAGER)
    assert manager.post(f"/bites/{ids['middle']}/tags", data={"tag_id": timing}).status_code == 403
    with app.app_context():
        bite = db.session.get(Bite, ids["middle"])
        assert not bite.is_best and all(not bt.is_removed for bt in bite.tags) and len(bite.tags) == 2


def test_a_manager_marks_a_best_example_and_it_ranks_first(app, login, call_with_bites, users):
    ids = call_with_bites
    rep = login(Role.REP)
    before = _search_ids(rep, q="for")
    assert len(before) == 3 and before[0] != ids["first"]
    manager = login(Role.MANAGER)
    response = manager.post(f"/bites/{ids['first']}/best", data={"best": "1"}, follow_redirects=True)
    assert "ranks first in search" in response.get_data(as_text=True)
    after = _search_ids(rep, q="for")
    assert after[0] == ids["first"] and set(after) == set(before)
    assert "Best example" in page_of(rep, ids["first"])
    with app.app_context():
        bite = db.session.get(Bite, ids["first"])
        assert bite.is_best and bite.best_marked_by_id == users[Role.MANAGER]
    manager.post(f"/bites/{ids['first']}/best", data={"best": "0"})
    unmarked = _search_ids(rep, q="for")
    assert unmarked[0] != ids["first"] and set(unmarked) == set(before)


def test_a_missing_bite_is_404(login, call_with_bites):
    assert login(Role.REP).get("/bites/999999").status_code == 404


def test_the_play_beacon_needs_the_csrf_token_from_the_page(tmp_path, call_with_bites, app):
    """With CSRF on (as in production), the token in the page's meta tag is what lets the beacon in."""
    strict = create_app(base_config(tmp_path, WTF_CSRF_ENABLED=True, ENABLE_DATA_DIR=app.config["ENABLE_DATA_DIR"],
                                    SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                                    TRANSCRIPTS_DIR=app.config["TRANSCRIPTS_DIR"]))
    client = strict.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": "rep@example.test", "password": PASSWORD, "csrf_token": token})
    bite_id = call_with_bites["middle"]
    html = client.get(f"/bites/{bite_id}").get_data(as_text=True)
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)
    assert client.post(f"/bites/{bite_id}/play", data={"seconds": "2"}).status_code == 400
    assert client.post(f"/bites/{bite_id}/play", data={"seconds": "2", "csrf_token": meta}).status_code == 200
    assert client.post(f"/bites/{bite_id}/play", json={"seconds": 2}, headers={"X-CSRFToken": meta}).status_code == 200
    with strict.app_context():
        assert db.session.scalar(select(UsageEvent.seconds).where(UsageEvent.kind == UsageKind.PLAY)) == 2.0
        db.session.remove()
        db.engine.dispose()


def test_the_bite_page_shows_its_freshness_and_its_owner_verifies_it_there(app, login, call_with_bites, users):
    with app.app_context():
        bite = db.session.get(Bite, call_with_bites["middle"])
        bite.owner_id = users[Role.MANAGER]
        db.session.commit()
        owner_name = db.session.get(User, users[Role.MANAGER]).name
    url = f"/bites/{call_with_bites['middle']}"
    rep_page = page_of(login(Role.REP), call_with_bites["middle"])
    assert "Freshness" in rep_page and owner_name in rep_page
    assert "Verify: still correct" not in rep_page  # a rep neither owns nor verifies it
    owner = login(Role.MANAGER)
    assert "Verify: still correct" in page_of(owner, call_with_bites["middle"])
    done = owner.post(f"/governance/bite/{call_with_bites['middle']}/verify", data={"next": url})
    assert done.status_code == 302 and done.headers["Location"] == url  # back on the bite page
    with app.app_context():
        assert db.session.get(Bite, call_with_bites["middle"]).verified_by_id == users[Role.MANAGER]
    assert "Never" not in page_of(owner, call_with_bites["middle"]).split("Freshness", 1)[1].split("</section>")[0]


def test_the_bite_page_groups_its_tags_by_kind_and_sorts_them_by_name(login, call_with_bites):
    """Issue 23: the tag list was neither grouped nor sorted (here the objection was tagged before the stage)."""
    html = page_of(login(Role.ENABLEMENT), call_with_bites["middle"])
    tags_panel = html.split("<h2>Tags</h2>", 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<h3 class="tag-kind">([^<]+)</h3>', tags_panel) == ["Stage", "Objection"]
    menu = re.search(r'<select id="tag-add".*?</select>', tags_panel, re.S).group()
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', menu, re.S)
    from enable.taxonomy.models import TagKind

    kind_order = [k.label for k in TagKind]
    assert [label for label, _ in groups] == sorted((label for label, _ in groups), key=kind_order.index)
    for label, body in groups:
        names = re.findall(r">([^<]+)</option>", body)
        assert names == sorted(names, key=str.casefold), label
