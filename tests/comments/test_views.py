"""Comments through the pages: post at a second, see it on the call page (timeline, transcript, thread) and the
bite page, reply, mention, edit, delete, moderate; who reads what; bad input keeps what was typed."""

from __future__ import annotations

import re

from sqlalchemy import select

from enable.comments.models import Comment
from enable.extensions import db
from enable.notifications import Notification
from tests.comments.conftest import sign_in


def _post(client, world, **data):
    data.setdefault("visibility", "team")
    return client.post(f"/comments/calls/{world.call}", data=data)


def _comments(app) -> list[Comment]:
    with app.app_context():
        found = list(db.session.scalars(select(Comment).order_by(Comment.id)))
        db.session.expunge_all()
        return found


def _notes(app, user_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(n.kind, n.message) for n in db.session.scalars(select(Notification).where(
            Notification.user_id == user_id).order_by(Notification.id))]


def test_a_comment_at_a_second_shows_on_the_timeline_beside_the_transcript_and_in_the_thread(app, world):
    manager = sign_in(app, "manager")
    response = _post(manager, world, body="Good **pause** here", at="1:05")
    assert response.status_code == 302
    [comment] = _comments(app)
    assert comment.at_s == 65.0 and comment.call_id == world.call and comment.bite_id is None
    assert response.headers["Location"].endswith(f"/calls/{world.call}#comment-{comment.id}")

    html = manager.get(f"/calls/{world.call}").get_data(as_text=True)
    assert 'class="seek comment-marker" data-start="65.0"' in html  # the timeline marker plays from 1:05
    assert "<strong>pause</strong>" in html  # Markdown, rendered
    # beside the transcript line that holds 1:05 (the rep's line from 0:51), with a time that plays from there
    line = re.search(r'data-start="51.0">0:51</button>(.*?)</p>', html, re.S).group(1)
    assert f'href="#comment-{comment.id}"' in line and 'data-start="65.0">1:05</button>' in line
    assert f'id="comment-{comment.id}"' in html


def test_markdown_is_sanitised_as_playbooks_are(app, world):
    manager = sign_in(app, "manager")
    _post(manager, world, body='<script>alert(1)</script> [x](javascript:alert(2)) ![i](/bites/1)', at="10")
    html = manager.get(f"/calls/{world.call}").get_data(as_text=True)
    body = html[html.index('id="comments"'):]
    assert "<script>alert(1)" not in body and 'href="javascript' not in body and 'src="/bites/1"' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_time_outside_the_call_or_unreadable_is_refused_and_the_text_kept(app, world):
    rep = sign_in(app, "rep")
    response = _post(rep, world, body="A long thought worth keeping", at="3:00")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "3:00 is outside this call, which lasts 2:00" in html
    assert "A long thought worth keeping" in html and 'value="3:00"' in html
    response = _post(rep, world, body="Still here", at="soon")
    assert response.status_code == 422 and "is not a time" in response.get_data(as_text=True)
    assert "Still here" in response.get_data(as_text=True)
    assert _comments(app) == []


def test_an_unknown_mention_is_refused_with_what_to_do_and_nothing_is_lost(app, world):
    rep = sign_in(app, "rep")
    response = _post(rep, world, body="@max.manager and @nobody listen here", at="0:30")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "No one here has the handle @nobody" in html and "@max.manager and @nobody listen here" in html
    assert _comments(app) == [] and _notes(app, world.users["manager"]) == []


def test_a_mention_notifies_and_a_reply_notifies_the_author(app, world):
    rep = sign_in(app, "rep")
    assert _post(rep, world, body="@max.manager what would you say here?", at="0:30").status_code == 302
    [comment] = _comments(app)
    assert _notes(app, world.users["manager"]) == [
        ("mention", "Anna Rep mentioned you on “Pricing call” at 0:30.")]
    manager = sign_in(app, "manager")
    assert _post(manager, world, body="Ask about the budget first.", parent_id=str(comment.id)).status_code == 302
    reply = _comments(app)[1]
    assert reply.parent_id == comment.id and reply.at_s == 30.0
    assert _notes(app, world.users["rep"]) == [("comment_reply", "Max Manager replied to your comment on “Pricing "
                                                                 "call” at 0:30.")]
    html = rep.get(f"/calls/{world.call}").get_data(as_text=True)
    assert "Ask about the budget first." in html and "comment-reply" in html


def test_a_mention_of_someone_outside_the_team_is_refused(app, world):
    rep = sign_in(app, "rep")
    response = _post(rep, world, body="@oleg.other look", at="0:30")
    assert response.status_code == 422
    assert "Oleg Other cannot read this comment" in response.get_data(as_text=True)


def test_private_notes_are_read_by_their_author_alone(app, world):
    manager = sign_in(app, "manager")
    _post(manager, world, body="My own note", at="0:10", visibility="private")
    _post(manager, world, body="For the team", at="0:20")
    for who, sees_note, sees_team in [("manager", True, True), ("rep", False, True), ("enablement", False, True),
                                      ("admin", False, True), ("other", False, False)]:
        html = sign_in(app, who).get(f"/calls/{world.call}").get_data(as_text=True)
        assert ("My own note" in html) is sees_note, who
        assert ("For the team" in html) is sees_team, who
    response = _post(manager, world, body="@anna.rep see", at="0:10", visibility="private")
    assert response.status_code == 422 and "A private note is read by you alone" in response.get_data(as_text=True)


def test_the_bite_page_shows_comments_inside_the_bite_at_call_seconds(app, world):
    manager = sign_in(app, "manager")
    _post(manager, world, body="Early moment", at="0:10")
    _post(manager, world, body="Late moment", at="1:40", bite_id=str(world.bites[1]))
    later = _comments(app)[1]
    assert later.bite_id == world.bites[1]
    html = manager.get(f"/bites/{world.bites[1]}").get_data(as_text=True)
    assert "Late moment" in html and "Early moment" not in html
    assert f'href="/bites/{world.bites[1]}?t=100" data-seek="100.000">1:40</a>' in html


def test_edit_marks_edited_and_only_the_author_edits(app, world):
    rep = sign_in(app, "rep")
    _post(rep, world, body="First take", at="0:15")
    [comment] = _comments(app)
    assert sign_in(app, "manager").post(f"/comments/{comment.id}/edit", data={"body": "hijack"}).status_code == 403
    response = rep.post(f"/comments/{comment.id}/edit", data={"body": "Second take"})
    assert response.status_code == 302
    html = rep.get(f"/calls/{world.call}").get_data(as_text=True)
    assert "Second take" in html and "comment-edited" in html and "First take" not in html


def test_delete_by_author_keeps_the_thread_and_others_cannot(app, world):
    rep = sign_in(app, "rep")
    _post(rep, world, body="Question", at="0:15")
    [comment] = _comments(app)
    manager = sign_in(app, "manager")
    _post(manager, world, body="Answer", parent_id=str(comment.id))
    assert manager.post(f"/comments/{comment.id}/delete").status_code == 403
    assert rep.post(f"/comments/{comment.id}/delete").status_code == 302
    html = rep.get(f"/calls/{world.call}").get_data(as_text=True)
    assert "This comment was deleted." in html and "Answer" in html and "Question" not in html
    reply = _comments(app)[1]
    assert manager.post(f"/comments/{reply.id}/delete").status_code == 302
    assert _comments(app) == []  # the emptied parent goes with its last reply


def test_enablement_hides_and_deletes_others_comments(app, world):
    rep = sign_in(app, "rep")
    _post(rep, world, body="Something rude", at="0:15")
    [comment] = _comments(app)
    assert sign_in(app, "manager").post(f"/comments/{comment.id}/hide").status_code == 403
    enablement = sign_in(app, "enablement")
    assert enablement.post(f"/comments/{comment.id}/hide").status_code == 302
    manager_html = sign_in(app, "manager").get(f"/calls/{world.call}").get_data(as_text=True)
    assert "Something rude" not in manager_html and "A moderator hid this comment." in manager_html
    assert "Something rude" in rep.get(f"/calls/{world.call}").get_data(as_text=True)  # its author still reads it
    assert enablement.post(f"/comments/{comment.id}/delete").status_code == 302
    assert _comments(app) == []


def test_a_rep_of_another_team_reads_no_team_comment_and_cannot_reach_one(app, world):
    _post(sign_in(app, "manager"), world, body="Team only", at="0:15")
    [comment] = _comments(app)
    other = sign_in(app, "other")
    assert "Team only" not in other.get(f"/calls/{world.call}").get_data(as_text=True)
    assert other.get(f"/comments/{comment.id}/edit").status_code == 404
    assert other.post(f"/comments/{comment.id}/delete").status_code == 404
    response = _post(other, world, body="sneaky reply", parent_id=str(comment.id))
    assert response.status_code == 404
    # their own comment on the library call: theirs to read
    assert _post(other, world, body="Mine", at="0:20").status_code == 302
    assert "Mine" in other.get(f"/calls/{world.call}").get_data(as_text=True)


def _queries_for(app, client, path) -> int:
    from sqlalchemy import event

    count = {"n": 0}

    def seen(*_args):
        count["n"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return count["n"]


def test_the_call_page_reads_comments_in_a_fixed_number_of_queries(app, world):
    manager = sign_in(app, "manager")
    _post(manager, world, body="one", at="0:10")
    few = _queries_for(app, manager, f"/calls/{world.call}")
    rep = sign_in(app, "rep")
    for k in range(12):
        _post(rep, world, body=f"more {k} @max.manager", at=str(k * 9 + 1))
        _post(manager, world, body=f"reply {k}", parent_id=str(_comments(app)[-1].id))
    assert len(_comments(app)) == 25
    assert _queries_for(app, manager, f"/calls/{world.call}") == few
