"""Staleness with the date passed in, verification, archive proposals, archiving, and stale notices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from enable import freshness
from enable.auth.models import Role, User
from enable.errors import NotAllowed
from enable.extensions import db
from enable.notifications import Notification
from enable.playbooks import governance
from enable.usage import UsageKind, record_usage
from tests.factories import make_user
from tests.playbooks.factories import make_bite, make_link_asset, make_playbook

T0 = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
D0 = T0.date()


def test_pure_rules_at_the_boundaries():
    assert freshness.due_on(D0, 90) == date(2026, 4, 10)
    assert not freshness.is_stale(D0, 90, date(2026, 4, 10))  # the due day itself is still fresh
    assert freshness.is_stale(D0, 90, date(2026, 4, 11))
    assert freshness.days_overdue(D0, 90, date(2026, 4, 20)) == 10
    # Proposed for archiving: unverified for twice the interval and not viewed in those days.
    assert not freshness.is_archive_candidate(D0, 90, D0 + timedelta(days=179), None)
    assert freshness.is_archive_candidate(D0, 90, D0 + timedelta(days=180), None)
    assert not freshness.is_archive_candidate(D0, 90, D0 + timedelta(days=200), D0 + timedelta(days=30))
    assert freshness.is_archive_candidate(D0, 90, D0 + timedelta(days=200), D0 + timedelta(days=15))


@pytest.fixture
def lead(users) -> int:
    """The enablement lead's id."""
    return users[Role.ENABLEMENT]


def test_playbook_goes_stale_after_its_interval_and_verifying_resets_it(app, lead):
    with app.app_context():
        lead = db.session.get(User, lead)
        playbook = make_playbook(now=T0, editor=lead)
        db.session.commit()
        assert playbook.owner_id == lead.id  # the author owns what they write
        day_90, day_91 = D0 + timedelta(days=90), D0 + timedelta(days=91)
        assert governance.stale_items(day_90) == []
        rows = governance.stale_items(day_91)
        assert [(r.kind, r.id, r.days_overdue) for r in rows] == [("playbook", playbook.id, 1)]
        assert [r.id for r in governance.stale_items(day_91, owner_id=lead.id)] == [playbook.id]

        governance.verify(playbook, lead, datetime.combine(day_91, datetime.min.time(), tzinfo=UTC))
        db.session.commit()
        assert governance.stale_items(day_91) == []
        assert playbook.verified_by_id == lead.id
        assert [r.id for r in governance.stale_items(day_91 + timedelta(days=91))] == [playbook.id]


def test_interval_per_item_and_default_per_kind(app, lead):
    with app.app_context():
        lead = db.session.get(User, lead)
        short = make_playbook(now=T0, review_interval_days=30)
        asset = make_link_asset("https://example.com/battlecard", lead, now=T0)
        bite = make_bite(now=T0)
        db.session.commit()
        day = D0 + timedelta(days=100)
        assert {(r.kind, r.id) for r in governance.stale_items(day)} == {("playbook", short.id), ("asset", asset.id)}
        assert [r.days_overdue for r in governance.stale_items(day) if r.kind == "playbook"] == [70]
        # Bites default to REVIEW_DAYS_BITE = 180 days.
        assert ("bite", bite.id) in {(r.kind, r.id) for r in governance.stale_items(D0 + timedelta(days=181))}


def test_only_owner_verifier_or_enablement_may_verify(app, users):
    with app.app_context():
        owner = db.session.get(User, users[Role.REP])
        other = make_user(role=Role.MANAGER)
        verifier = make_user(role=Role.REP)
        playbook = make_playbook(now=T0, owner_id=owner.id, verifier_id=verifier.id)
        db.session.commit()
        with pytest.raises(NotAllowed):
            governance.verify(playbook, other, T0)
        governance.verify(playbook, owner, T0)
        governance.verify(playbook, verifier, T0 + timedelta(days=1))
        assert playbook.verified_by_id == verifier.id


def test_archive_proposal_needs_twice_the_interval_without_views(app, lead):
    with app.app_context():
        lead = db.session.get(User, lead)
        unread = make_playbook(now=T0, title="Unread")
        read_lately = make_playbook(now=T0, title="Read lately")
        merely_stale = make_playbook(now=T0 + timedelta(days=60), title="Merely stale")
        viewed = record_usage(lead, UsageKind.VIEW, "playbook", read_lately.id)
        viewed.created_at = T0 + timedelta(days=150)
        db.session.commit()
        today = D0 + timedelta(days=185)
        assert {r.id for r in governance.stale_items(today)} == {unread.id, read_lately.id, merely_stale.id}
        proposals = governance.archive_proposals(today)
        assert [(r.title, r.last_viewed) for r in proposals] == [("Unread", None)]


def test_archived_items_leave_lists_and_queues_and_can_be_restored(app, lead):
    from enable.playbooks.services import list_playbooks

    with app.app_context():
        lead = db.session.get(User, lead)
        playbook = make_playbook(now=T0)
        db.session.commit()
        later = T0 + timedelta(days=200)
        governance.archive(playbook, lead, later)
        db.session.commit()
        assert playbook not in list_playbooks()
        assert governance.stale_items(later.date()) == [] and governance.archive_proposals(later.date()) == []
        assert [(kind, item.id) for kind, item in governance.inactive_items()] == [("playbook", playbook.id)]
        governance.restore(playbook, lead, later)
        db.session.commit()
        assert playbook in list_playbooks() and governance.inactive_items() == []
        assert not playbook.is_stale(later.date())


def test_archiving_a_bite_takes_it_out_of_search(app, lead):
    from enable.search.indexing import get_index, index_bites

    with app.app_context():
        lead = db.session.get(User, lead)
        bite, other = make_bite(), make_bite()
        db.session.commit()
        index_bites([bite.id, other.id])
        assert get_index().count() == 2
        governance.archive(bite, lead, T0)
        db.session.commit()
        assert get_index().count() == 1
        governance.restore(bite, lead, T0)
        db.session.commit()
        assert get_index().count() == 2


def test_owners_are_notified_once_per_staleness_period(app, users):
    with app.app_context():
        owner = db.session.get(User, users[Role.REP])
        playbook = make_playbook(now=T0, owner_id=owner.id, title="Pricing talk track")
        db.session.commit()

        def notices() -> list[Notification]:
            return list(db.session.scalars(select(Notification).where(Notification.user_id == owner.id)))

        day = D0 + timedelta(days=95)
        now = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        assert governance.notify_stale_owners(day, now) == 1
        assert governance.notify_stale_owners(day + timedelta(days=1), now + timedelta(days=1)) == 0
        db.session.commit()
        [note] = notices()
        assert "Pricing talk track" in note.message and "5 days overdue" in note.message
        assert note.link == f"/governance/playbook/{playbook.id}"

        governance.verify(playbook, owner, now)
        next_period = day + timedelta(days=91)
        assert governance.notify_stale_owners(next_period, now + timedelta(days=91)) == 1
        db.session.commit()
        assert len(notices()) == 2


def test_owner_sees_the_notice_behind_the_bell_and_opens_it(app, users, login):
    with app.app_context():
        owner = db.session.get(User, users[Role.REP])
        playbook_id = make_playbook(now=T0, owner_id=owner.id, title="Old deck").id
        db.session.commit()
        day = D0 + timedelta(days=100)
        governance.notify_stale_owners(day, datetime.combine(day, datetime.min.time(), tzinfo=UTC))
        db.session.commit()
        note_id = db.session.scalar(select(Notification.id))
    client = login(Role.REP)
    page = client.get("/playbooks/").get_data(as_text=True)
    assert 'class="bell-count"' in page and ">1</span>" in page
    listing = client.get("/notifications/").get_data(as_text=True)
    assert "Old deck" in listing
    response = client.post(f"/notifications/{note_id}/open")
    assert response.status_code == 302 and response.headers["Location"] == f"/governance/playbook/{playbook_id}"
    assert 'class="bell-count"' not in client.get("/playbooks/").get_data(as_text=True)
    # Nobody opens someone else's notification.
    assert login(Role.MANAGER).post(f"/notifications/{note_id}/open").status_code == 404
