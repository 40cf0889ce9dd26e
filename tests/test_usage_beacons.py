"""Views are counted by the page's POST beacon (CSRF-protected), never by fetching a page: an image in a playbook
pointing at a bite, an asset or a download counts nothing, and local images other than static files are dropped."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from enable import create_app
from enable.auth.models import Role, User
from enable.extensions import db
from enable.search import playlists
from enable.usage import UsageEvent
from tests.conftest import base_config
from tests.factories import PASSWORD, make_user
from tests.playbooks.factories import make_bite, make_link_asset, make_playbook
from tests.usage_beacon import page_shown


def _views(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(e.item_type, e.item_id) for e in db.session.scalars(select(UsageEvent).order_by(UsageEvent.id))]


@pytest.fixture
def items(app, users) -> dict[str, int]:
    """A bite, a playbook, a link asset and a playlist, all visible to a rep."""
    with app.app_context():
        rep = db.session.get(User, users[Role.REP])
        bite = make_bite()
        asset = make_link_asset("https://example.com/deck", rep, title="Deck")
        playbook = make_playbook(title="Pricing")
        playlist = playlists.create_playlist(rep, "Mine")
        playlists.add_bite(playlist, bite, rep)
        db.session.commit()
        return {"bite": bite.id, "asset": asset.id, "playbook": playbook.id, "playlist": playlist.id}


def _pages(items: dict[str, int]) -> dict[str, str]:
    return {"bite": f"/bites/{items['bite']}", "playbook": f"/playbooks/{items['playbook']}",
            "asset": f"/assets/{items['asset']}", "playlist": f"/search/playlists/{items['playlist']}/play"}


def test_fetching_a_page_counts_nothing_and_its_beacon_counts_one_view(app, login, items):
    client = login(Role.REP)
    counted: list[tuple[str, int]] = []
    for kind, page in _pages(items).items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert _views(app) == counted, f"GET {page} counted a view"
        assert page_shown(client, response.get_data(as_text=True)) == 204
        counted.append((kind, items[kind]))
        assert _views(app) == counted


def test_a_playbook_image_pointing_at_a_page_or_a_download_is_dropped(app, login, items):
    body = (f"![clip](/bites/{items['bite']}) ![deck](/assets/{items['asset']}/open) "
            f"![file](/assets/{items['asset']}/download) ![up](/static/../bites/{items['bite']}) "
            f"![logo](/static/favicon.svg)\n")
    with app.app_context():
        playbook_id = make_playbook(title="Images", body=body).id
        db.session.commit()
    client = login(Role.REP)
    page = client.get(f"/playbooks/{playbook_id}").get_data(as_text=True)
    sources = re.findall(r'<img[^>]*src="([^"]*)"', page)
    assert sources == ["/static/favicon.svg"]
    assert _views(app) == []


def test_a_beacon_for_an_item_the_user_may_not_see_counts_nothing(app, login, items):
    with app.app_context():
        archived = make_playbook(title="Old")
        from enable.db import utcnow

        archived.archived_at = utcnow()
        db.session.commit()
        archived_id = archived.id
    client = login(Role.REP)
    assert client.post(f"/playbooks/{archived_id}/viewed").status_code == 404
    assert client.post("/bites/999999/viewed").status_code == 404
    assert client.get(f"/playbooks/{items['playbook']}/viewed").status_code == 405
    assert _views(app) == []


def test_beacons_need_the_csrf_token(tmp_path):
    app = create_app(base_config(tmp_path, WTF_CSRF_ENABLED=True))
    with app.app_context():
        db.create_all()
        make_user(email="rep@example.test")
        playbook_id = make_playbook(title="Pricing").id
        db.session.commit()
    client = app.test_client()
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/auth/login", data={"email": "rep@example.test", "password": PASSWORD, "csrf_token": token})
    page = client.get(f"/playbooks/{playbook_id}").get_data(as_text=True)
    assert client.post(f"/playbooks/{playbook_id}/viewed").status_code == 400  # a forged cross-site POST
    assert _views(app) == []
    assert page_shown(client, page) == 204
    assert _views(app) == [("playbook", playbook_id)]
