"""Playlists: build by hand or from a search, reorder, share with a team, play all; who may see and change them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.extensions import db
from enable.search.models import Playlist, PlaylistItem
from enable.usage import UsageEvent, UsageKind
from tests.factories import PASSWORD, make_team, make_user
from tests.search.factories import index_everything, make_bite, make_call, seed_taxonomy, tag
from tests.usage_beacon import page_shown


@pytest.fixture
def bites(app, users):
    """Four price-objection bites and one about timing; the rep and manager share a team. Returns bite ids."""
    with app.app_context():
        seed_taxonomy()
        team = make_team(name="East")
        for role in (Role.REP, Role.MANAGER):
            db.session.get(User, users[role]).team_id = team.id
        call = make_call(title="Pricing calls", media_path="x.ogg")
        price = tag("objection", "price")
        ids = [make_bite(call, f"answer {n}: it is too expensive, said the buyer", seq=n, start_s=n * 60,
                         end_s=n * 60 + 50, tags=[price]).id for n in range(4)]
        ids.append(make_bite(call, "not now, maybe next quarter", seq=4, start_s=240, end_s=290,
                             tags=[tag("objection", "timing")]).id)
        db.session.commit()
        index_everything()
        return ids


def _create(client, name="Price objection: 14 ways", bite_id=None) -> int:
    data = {"name": name, "description": "How the best reps answer price"}
    if bite_id:
        data["bite_id"] = bite_id
    response = client.post("/search/playlists", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with client.application.app_context():
        return db.session.scalar(select(Playlist.id).where(Playlist.name == name))


def _order(app, playlist_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(PlaylistItem.bite_id).where(PlaylistItem.playlist_id == playlist_id)
                                       .order_by(PlaylistItem.position)))


def _add(client, playlist_id: int, bite_id: int):
    return client.post("/search/playlists/items", data={"playlist_id": playlist_id, "bite_id": bite_id})


def test_build_reorder_and_remove_by_hand(app, login, bites):
    client = login(Role.REP)
    playlist_id = _create(client, bite_id=bites[0])
    for bite_id in bites[1:3]:
        assert _add(client, playlist_id, bite_id).status_code == 302
    assert _order(app, playlist_id) == bites[:3]
    # The same bite twice is refused with a message.
    page = client.post("/search/playlists/items", data={"playlist_id": playlist_id, "bite_id": bites[1]},
                       follow_redirects=True).get_data(as_text=True)
    assert "already in" in page

    items = _item_ids(app, playlist_id)
    client.post(f"/search/playlists/{playlist_id}/items/{items[2]}/move", data={"direction": "up"})
    assert _order(app, playlist_id) == [bites[0], bites[2], bites[1]]
    client.post(f"/search/playlists/{playlist_id}/items/{items[0]}/move", data={"direction": "up"})  # already first
    assert _order(app, playlist_id) == [bites[0], bites[2], bites[1]]
    client.post(f"/search/playlists/{playlist_id}/order", data={"item_id": [items[1], items[0], items[2]]})
    assert _order(app, playlist_id) == [bites[1], bites[0], bites[2]]
    client.post(f"/search/playlists/{playlist_id}/items/{items[0]}/remove")
    assert _order(app, playlist_id) == [bites[1], bites[2]]
    with app.app_context():
        positions = db.session.scalars(select(PlaylistItem.position).where(PlaylistItem.playlist_id == playlist_id)
                                       .order_by(PlaylistItem.position)).all()
        assert positions == [0, 1]

    html = client.get(f"/search/playlists/{playlist_id}").get_data(as_text=True)
    assert "Price objection: 14 ways" in html and "2 bites" in html and "Play all" in html
    assert client.get("/search/playlists").get_data(as_text=True).count(f"/search/playlists/{playlist_id}\"") == 1


def _item_ids(app, playlist_id: int) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(PlaylistItem.id).where(PlaylistItem.playlist_id == playlist_id)
                                       .order_by(PlaylistItem.position)))


def test_save_a_search_as_a_playlist(app, login, bites):
    client = login(Role.REP)
    search = client.get("/search/", query_string={"q": "too expensive", "objection": "price"}).get_data(as_text=True)
    hidden = re.search(r'name="search" type="hidden" value="([^"]*)"', search).group(1).replace("&amp;", "&")
    assert "objection=price" in hidden
    result_order = [int(i) for i in re.findall(r'class="result-title"><a href="/bites/(\d+)"', search)]
    response = client.post("/search/playlists/from-search", data={"name": "Price answers", "limit": "3",
                                                                    "search": hidden})
    assert response.status_code == 302
    with app.app_context():
        playlist_id = db.session.scalar(select(Playlist.id).where(Playlist.name == "Price answers"))
    assert _order(app, playlist_id) == result_order[:3]
    assert bites[4] not in _order(app, playlist_id)

    empty = client.post("/search/playlists/from-search", data={"name": "Nothing", "limit": "3", "search": "q=zzzz"},
                        follow_redirects=True)
    assert "no results to put in a playlist" in empty.get_data(as_text=True)


def test_a_rep_cannot_change_another_users_playlist(app, login, bites, users):
    owner = login(Role.REP)
    playlist_id = _create(owner, bite_id=bites[0])
    owner.post(f"/search/playlists/{playlist_id}/share", data={"shared": "1"})
    item = _item_ids(app, playlist_id)[0]
    with app.app_context():
        teammate_id = make_user(role=Role.REP, email="teammate@example.test",
                                team_id=db.session.get(User, users[Role.REP]).team_id).id
        db.session.commit()
    other = app.test_client()
    other.post("/auth/login", data={"email": "teammate@example.test", "password": PASSWORD})
    # Shared with the team: the teammate sees and plays it but changes nothing.
    assert other.get(f"/search/playlists/{playlist_id}").status_code == 200
    assert "Delete playlist" not in other.get(f"/search/playlists/{playlist_id}").get_data(as_text=True)
    for url, data in [
        ("/search/playlists/items", {"playlist_id": playlist_id, "bite_id": bites[1]}),
        (f"/search/playlists/{playlist_id}/items/{item}/remove", {}),
        (f"/search/playlists/{playlist_id}/items/{item}/move", {"direction": "down"}),
        (f"/search/playlists/{playlist_id}/order", {"item_id": [item]}),
        (f"/search/playlists/{playlist_id}/edit", {"name": "Mine now"}),
        (f"/search/playlists/{playlist_id}/share", {"shared": "0"}),
        (f"/search/playlists/{playlist_id}/delete", {}),
    ]:
        assert other.post(url, data=data).status_code == 403, url
    assert _order(app, playlist_id) == [bites[0]]
    with app.app_context():
        playlist = db.session.get(Playlist, playlist_id)
        assert playlist.name == "Price objection: 14 ways" and playlist.team_id is not None
        assert playlist.owner_id == users[Role.REP] != teammate_id


def test_a_private_playlist_is_invisible_to_others(app, login, bites, users):
    owner = login(Role.REP)
    playlist_id = _create(owner, bite_id=bites[0])
    with app.app_context():
        make_user(role=Role.REP, email="west@example.test", team_id=make_team(name="West").id)
        db.session.commit()
    stranger = app.test_client()
    stranger.post("/auth/login", data={"email": "west@example.test", "password": PASSWORD})
    assert stranger.get(f"/search/playlists/{playlist_id}").status_code == 404
    assert stranger.get(f"/search/playlists/{playlist_id}/play").status_code == 404
    assert stranger.post(f"/search/playlists/{playlist_id}/delete").status_code == 404
    assert f"/search/playlists/{playlist_id}\"" not in stranger.get("/search/playlists").get_data(as_text=True)
    # Even shared, it stays within the owner's team.
    owner.post(f"/search/playlists/{playlist_id}/share", data={"shared": "1"})
    assert stranger.get(f"/search/playlists/{playlist_id}").status_code == 404
    manager = login(Role.MANAGER)  # same team as the owner
    assert manager.get(f"/search/playlists/{playlist_id}").status_code == 200
    assert f"/search/playlists/{playlist_id}\"" in manager.get("/search/playlists").get_data(as_text=True)
    owner.post(f"/search/playlists/{playlist_id}/share", data={"shared": "0"})
    assert manager.get(f"/search/playlists/{playlist_id}").status_code == 404


def test_enablement_may_delete_any_playlist(app, login, bites):
    playlist_id = _create(login(Role.REP), bite_id=bites[0])
    assert login(Role.ENABLEMENT).post(f"/search/playlists/{playlist_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Playlist, playlist_id) is None
        assert db.session.scalars(select(PlaylistItem)).all() == []


def test_play_all_queues_every_bite_in_order_and_counts_playlist_plays(app, login, bites, users):
    client = login(Role.REP)
    playlist_id = _create(client, bite_id=bites[2])
    _add(client, playlist_id, bites[0])
    html = client.get(f"/search/playlists/{playlist_id}/play").get_data(as_text=True)
    assert page_shown(client, html) == 204
    queue = re.findall(r'<li data-queue-item data-src="([^"]+)"\s+data-start="([\d.]+)" data-end="([\d.]+)"\s+'
                       r'data-play-url="/bites/(\d+)/play"', html)
    assert [int(b) for *_, b in queue] == [bites[2], bites[0]]
    assert queue[0][1:3] == ("120.000", "170.000")
    assert f'data-playlist-id="{playlist_id}"' in html and "js/player.js" in html

    client.post(f"/bites/{bites[2]}/play", data={"seconds": "12.5", "playlist_id": str(playlist_id)})
    with app.app_context():
        events = [(e.kind, e.item_type, e.item_id, e.seconds) for e in
                  db.session.scalars(select(UsageEvent).order_by(UsageEvent.id))]
    assert events == [(UsageKind.VIEW, "playlist", playlist_id, None),
                      (UsageKind.PLAY, "bite", bites[2], 12.5),
                      (UsageKind.PLAYLIST_PLAY, "playlist", playlist_id, 12.5)]


def test_share_needs_a_team_and_names_are_required(app, login, bites, users):
    with app.app_context():
        db.session.get(User, users[Role.ENABLEMENT]).team_id = None
        db.session.commit()
    client = login(Role.ENABLEMENT)
    assert client.post("/search/playlists", data={"name": "  "}).status_code == 422
    playlist_id = _create(client, name="Solo")
    page = client.post(f"/search/playlists/{playlist_id}/share", data={"shared": "1"}, follow_redirects=True)
    assert "not in a team" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Playlist, playlist_id).team_id is None
