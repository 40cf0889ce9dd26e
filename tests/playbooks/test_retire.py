"""Backlinks on item pages, and retiring an item with or without removing the links to it."""

from __future__ import annotations

from sqlalchemy import select

from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.db import utcnow
from enable.extensions import db
from enable.playbooks import governance, links
from enable.playbooks.models import Asset, Link, Playbook, PlaybookVersion
from tests.playbooks.factories import make_bite, make_link_asset, make_playbook


def _setup(app, users) -> dict[str, int]:
    with app.app_context():
        lead = db.session.get(User, users[Role.ENABLEMENT])
        target = make_playbook(title="Old pricing")
        bite = make_bite(title="Discount talk")
        source = make_playbook(title="Negotiation", body=(
            f"Read [the old pricing](/playbooks/{target.id}) first.\n\n"
            f"Then [listen](/bites/{bite.id}?t=15) and see [pricing again][p].\n\n"
            f"[p]: /playbooks/{target.id}\n"))
        asset = make_link_asset("https://example.com/deck", lead, title="Deck",
                                description=f"Goes with [the pricing playbook](/playbooks/{target.id}).")
        db.session.commit()
        return {"target": target.id, "bite": bite.id, "source": source.id, "asset": asset.id}


def test_item_pages_show_their_backlinks(app, users, login):
    ids = _setup(app, users)
    page = login(Role.REP).get(f"/playbooks/{ids['target']}").get_data(as_text=True)
    assert "Linked from" in page
    assert f'href="/playbooks/{ids["source"]}">Negotiation</a>' in page
    assert f'href="/assets/{ids["asset"]}">Deck</a>' in page
    bite_page = login(Role.REP).get(f"/governance/bite/{ids['bite']}").get_data(as_text=True)
    assert f'href="/playbooks/{ids["source"]}">Negotiation</a>' in bite_page


def test_retiring_with_backlinks_removes_the_links_on_request(app, users, login):
    ids = _setup(app, users)
    client = login(Role.ENABLEMENT)
    confirm = client.get(f"/governance/playbook/{ids['target']}/retire").get_data(as_text=True)
    assert "Places that link to it" in confirm and "Negotiation" in confirm and "Deck" in confirm

    response = client.post(f"/governance/playbook/{ids['target']}/retire", data={"remove_links": "y"})
    assert response.status_code == 302
    with app.app_context():
        source = db.session.get(Playbook, ids["source"])
        assert source.body == ("Read the old pricing first.\n\n"
                               f"Then [listen](/bites/{ids['bite']}?t=15) and see pricing again.\n")
        latest = db.session.scalar(select(PlaybookVersion).where(PlaybookVersion.playbook_id == source.id)
                                   .order_by(PlaybookVersion.number.desc()))
        assert latest.number == 2 and latest.note == 'Removed links to retired playbook "Old pricing"'
        assert latest.editor_id == users[Role.ENABLEMENT]
        assert db.session.get(Asset, ids["asset"]).description == "Goes with the pricing playbook."
        assert links.backlinks("playbook", ids["target"]) == []
        assert db.session.get(Playbook, ids["target"]).retired_at is not None
    assert "Old pricing" not in client.get("/playbooks/").get_data(as_text=True)
    assert login(Role.REP).get(f"/playbooks/{ids['target']}").status_code == 404


def test_retiring_without_removing_leaves_links_that_then_count_as_broken(app, users, login):
    ids = _setup(app, users)
    client = login(Role.ENABLEMENT)
    client.post(f"/governance/bite/{ids['bite']}/retire", data={"submit": "Retire"})
    with app.app_context():
        assert f"/bites/{ids['bite']}?t=15" in db.session.get(Playbook, ids["source"]).body
        links.check_links(utcnow(), external=False)
        db.session.commit()
        link = db.session.scalar(select(Link).where(Link.target_type == "bite", Link.target_id == ids["bite"]))
        assert (link.status, link.detail) == ("broken", "The bite was retired.")
        assert [row.url for row in governance.link_rows()] == [f"/bites/{ids['bite']}"]
    # The links can still be removed later, in one action.
    with app.app_context():
        lead = db.session.get(User, users[Role.ENABLEMENT])
        result = governance.remove_links_to("bite", db.session.get(Bite, ids["bite"]), lead, utcnow())
        db.session.commit()
        assert (result.links_removed, result.sources_changed) == (1, 1)
        assert "/bites/" not in db.session.get(Playbook, ids["source"]).body
