"""The comment services: who reads which comment, mentions (unknown, ambiguous, new on edit, in the reader's
language), replies, and a comment's anchor to its call when its bite goes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.calls.models import Call
from enable.comments import services
from enable.comments.models import Comment, Visibility
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.notifications import Notification
from tests.factories import make_user


def _u(world, who) -> User:
    return db.session.get(User, world.users[who])


def _call(world) -> Call:
    return db.session.get(Call, world.call)


def _notes(user_id) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)))


@pytest.mark.parametrize(("reader", "team", "private"), [
    ("rep", True, False), ("manager", True, True), ("other", False, False), ("enablement", True, False),
    ("admin", True, False)])
def test_who_reads_a_managers_team_comment_and_private_note(app, world, reader, team, private):
    with app.app_context():
        call, manager = _call(world), _u(world, "manager")
        shared = services.add_comment(call, manager, body="shared", at_s=10)
        note = services.add_comment(call, manager, body="note", at_s=20, visibility=Visibility.PRIVATE)
        db.session.commit()
        user = _u(world, reader)
        assert services.can_read(user, shared, call) is team
        assert services.can_read(user, note, call) is private
        bodies = [c.body for c in services.readable_comments(call, user)]
        assert bodies == [b for b, seen in (("shared", team), ("note", private)) if seen]


def test_a_call_still_processing_shows_no_comment_to_who_cannot_open_it(app, world):
    with app.app_context():
        call = _call(world)
        services.add_comment(call, _u(world, "manager"), body="x", at_s=1)
        call.status = "transcribing"
        db.session.commit()
        assert services.call_threads(call, _u(world, "other")) == []
        with pytest.raises(NotAllowed):
            services.add_comment(call, _u(world, "other"), body="y", at_s=1)


def test_a_second_outside_or_unknown_length_is_refused(app, world):
    with app.app_context():
        call = _call(world)
        for bad in (-1.0, 120.5, float("inf")):
            with pytest.raises(UserError, match="outside this call"):
                services.add_comment(call, _u(world, "rep"), body="x", at_s=bad)
        call.duration_s = None
        with pytest.raises(UserError, match="not known yet"):
            services.add_comment(call, _u(world, "rep"), body="x", at_s=1)


def test_an_ambiguous_handle_asks_for_the_whole_email(app, world):
    with app.app_context():
        make_user(email="max.manager@other.test", role=Role.MANAGER)
        with pytest.raises(UserError, match="several people"):
            services.add_comment(_call(world), _u(world, "rep"), body="@max.manager hi", at_s=5)
        comment = services.add_comment(_call(world), _u(world, "rep"), body="@max.manager@example.test hi", at_s=5)
        assert comment.id and [n.kind for n in _notes(world.users["manager"])] == ["mention"]


def test_mentions_are_notified_in_the_readers_language_and_an_edit_notifies_only_new_ones(app, world):
    with app.app_context():
        manager = _u(world, "manager")
        manager.locale = "ru"
        comment = services.add_comment(_call(world), _u(world, "rep"), body="@max.manager look", at_s=75)
        db.session.commit()
        [note] = _notes(manager.id)
        assert note.message == "Anna Rep упомянул(а) вас в звонке «Pricing call» на 1:15."
        assert note.link == f"/calls/{world.call}#comment-{comment.id}"
        services.edit_comment(comment, _u(world, "rep"), "@max.manager and @erin look")
        assert len(_notes(manager.id)) == 1 and len(_notes(world.users["enablement"])) == 1
        assert comment.edited_at is not None


def test_a_reply_to_a_reply_joins_the_thread_and_notifies_the_parent_author_once(app, world):
    with app.app_context():
        call, rep, manager = _call(world), _u(world, "rep"), _u(world, "manager")
        root = services.add_comment(call, rep, body="why?", at_s=30, bite_id=world.bites[0])
        first = services.add_comment(call, manager, body="because", at_s=None, parent=root)
        second = services.add_comment(call, _u(world, "enablement"), body="@anna.rep agreed", at_s=None,
                                      parent=first)
        assert second.parent_id == root.id and second.at_s == 30 and second.bite_id == world.bites[0]
        assert [n.kind for n in _notes(rep.id)] == ["comment_reply", "mention"]
        assert [n.kind for n in _notes(manager.id)] == ["comment_reply"]  # the author of the comment answered


def test_the_comment_stays_on_the_call_when_its_bite_goes(app, world):
    with app.app_context():
        comment = services.add_comment(_call(world), _u(world, "rep"), body="here", at_s=60, bite_id=world.bites[1])
        db.session.commit()
        db.session.delete(db.session.get(Bite, world.bites[1]))
        db.session.commit()
        db.session.expire_all()
        comment = db.session.get(Comment, comment.id)
        assert comment.bite_id is None and comment.call_id == world.call and comment.at_s == 60
        # a bite id that no longer exists (deleted before the post reached us): posted on the call
        late = services.add_comment(_call(world), _u(world, "rep"), body="late", at_s=70, bite_id=world.bites[1])
        db.session.commit()
        assert late.bite_id is None

