"""Comments: who reads them, posting (with mentions and replies), editing, deleting and moderating. Commit-free.

Visibility, as documented in the README ("Comments at the second"):
- everyone reads only comments on calls they may open (calls.can_view), and always their own;
- a "team and managers" comment is read by enablement and admins, the call's rep and uploader, the members of the
  call's team and that team's manager; a rep of another team who opens a library call sees none of them;
- a "private note" is read by its author alone: not by managers, enablement or admins on the site or in the API
  (only a full backup or export, made by an admin, holds every row). Nobody else reads it, so nobody moderates it,
  and it cannot mention anyone.
A reply takes its parent's second and visibility; replies hang off the first comment of the thread.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import selectinload

from enable import audit
from enable.auth.models import Role, Team, User
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import Call
from enable.comments.mentions import find_handles, handle_of
from enable.comments.models import Comment, Visibility
from enable.comments.timeline import within_call
from enable.db import utcnow
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.notifications import notify

log = logging.getLogger(__name__)

MAX_BODY = 5000  # characters of Markdown


class UnknownMention(UserError):
    """A mention names nobody who may read the comment."""

    status_code = 422


@dataclass
class Thread:
    """A comment and its replies (oldest first), as the viewer may read them."""

    comment: Comment
    replies: list[Comment] = field(default_factory=list)


def clock_text(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour."""
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# Who reads what ---------------------------------------------------------------------------------------------------


def sees_team_comments(user: User, call: Call) -> bool:
    """Whether the user reads the call's "team and managers" comments (see the module's docstring)."""
    if user.has_role(Role.ENABLEMENT) or user.id in (call.rep_id, call.uploaded_by_id):
        return True
    if call.team_id is None:
        return False
    if user.team_id == call.team_id:
        return True
    team = db.session.get(Team, call.team_id)
    return team is not None and team.manager_id == user.id


def _readable(user: User, call: Call) -> ColumnElement[bool]:
    mine = Comment.author_id == user.id
    return or_(mine, Comment.visibility == Visibility.TEAM) if sees_team_comments(user, call) else mine


def can_read(user: User, comment: Comment, call: Call) -> bool:
    """Whether the user may read this comment of `call` (its text may still be hidden by a moderator)."""
    if not calls.can_view(user, call):
        return False
    return comment.author_id == user.id or (comment.visibility == Visibility.TEAM and sees_team_comments(user, call))


def can_moderate(user: User) -> bool:
    """Enablement and admins hide and delete others' comments they read."""
    return user.has_role(Role.ENABLEMENT)


def require_read(user: User, comment: Comment) -> Call:
    """The comment's call, or NotAllowed when the user may not read the comment."""
    call = db.session.get(Call, comment.call_id)
    if call is None or not can_read(user, comment, call):
        raise NotAllowed(_("This comment does not exist or is not yours to read."))
    return call


# Reading ----------------------------------------------------------------------------------------------------------


def _threads(rows: Iterable[Comment], user: User) -> list[Thread]:
    """Group comments into threads ordered by second; drop deleted comments left without replies."""
    roots: dict[int, Thread] = {}
    replies: list[Comment] = []
    for c in rows:
        if c.parent_id is None:
            roots[c.id] = Thread(c)
        else:
            replies.append(c)
    for r in sorted(replies, key=lambda c: (c.created_at, c.id)):
        if r.parent_id in roots:
            roots[r.parent_id].replies.append(r)
    kept = [t for t in roots.values() if not (t.comment.is_deleted and not t.replies)]
    return sorted(kept, key=lambda t: (t.comment.at_s, t.comment.created_at, t.comment.id))


def _select(user: User, call: Call) -> Select:
    return (select(Comment).where(Comment.call_id == call.id, _readable(user, call))
            .options(selectinload(Comment.author)))


def call_threads(call: Call, user: User) -> list[Thread]:
    """The call's comments the user reads, as threads ordered by their second."""
    if not calls.can_view(user, call):
        return []
    return _threads(db.session.scalars(_select(user, call)), user)


def bite_threads(bite: Bite, user: User) -> list[Thread]:
    """The comments of the bite's call at a second inside the bite, and those written on this bite's page (even if
    the bite was trimmed since and they now fall outside it)."""
    call = bite.call
    if not calls.can_view(user, call):
        return []
    inside = Comment.at_s.between(bite.start_s, bite.end_s)
    roots = db.session.scalars(_select(user, call).where(or_(inside, Comment.bite_id == bite.id))).all()
    ids = [c.id for c in roots if c.parent_id is None]
    replies = db.session.scalars(_select(user, call).where(Comment.parent_id.in_(ids))).all() if ids else []
    return _threads({c.id: c for c in [*roots, *replies]}.values(), user)


def readable_comments(call: Call, user: User) -> list[Comment]:
    """Every comment of the call the user reads, threads in order of their second, each followed by its replies."""
    return [c for t in call_threads(call, user) for c in (t.comment, *t.replies)]


def mentionable_people(call: Call) -> list[User]:
    """The active people who read the call's team comments, by name (the help list beside the comment form)."""
    conditions: list[ColumnElement[bool]] = [User.role.in_([Role.ENABLEMENT, Role.ADMIN])]
    conditions += [User.id == uid for uid in (call.rep_id, call.uploaded_by_id) if uid is not None]
    if call.team_id is not None:
        conditions.append(User.team_id == call.team_id)
        manager_id = db.session.scalar(select(Team.manager_id).where(Team.id == call.team_id))
        if manager_id is not None:
            conditions.append(User.id == manager_id)
    query = select(User).where(User.is_active_account.is_(True), or_(*conditions)).order_by(User.name)
    return list(db.session.scalars(query))


# Mentions ---------------------------------------------------------------------------------------------------------


def _users_with_handle(handle: str) -> list[User]:
    if "@" in handle:
        query = select(User).where(func.lower(User.email) == handle)
    else:
        pattern = handle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "@%"
        query = select(User).where(func.lower(User.email).like(pattern, escape="\\"))
    return [u for u in db.session.scalars(query.where(User.is_active_account.is_(True)))
            if "@" in handle or handle_of(u.email) == handle]


def resolve_mentions(body: str, call: Call, visibility: Visibility) -> list[User]:
    """The people `body` mentions; UnknownMention saying what to change when a handle names nobody, several
    people, or someone who would not read the comment."""
    handles = find_handles(body)
    if not handles:
        return []
    if visibility == Visibility.PRIVATE:
        raise UnknownMention(_("A private note is read by you alone, so it cannot mention anyone: remove %(handles)s "
                               "or make it a team comment.", handles=", ".join(f"@{h}" for h in handles)))
    found: list[User] = []
    unknown: list[str] = []
    for handle in handles:
        people = _users_with_handle(handle)
        if not people:
            unknown.append(f"@{handle}")
        elif len(people) > 1:
            raise UnknownMention(_("@%(handle)s is the handle of several people: write the whole email after the @, "
                                   "for example @%(email)s.", handle=handle, email=people[0].email))
        else:
            found.append(people[0])
    if unknown:
        raise UnknownMention(_("No one here has the handle %(handles)s. Mention people by the part of their email "
                               "before the @ (anna@example.com is @anna).", handles=", ".join(unknown)))
    outside = [u.name for u in found if not (sees_team_comments(u, call) and calls.can_view(u, call))]
    if outside:
        raise UnknownMention(_("%(names)s cannot read this comment: they are not on this call's team. Remove the "
                               "mention, or ask enablement to share the call with them.", names=", ".join(outside)))
    return found


def _comment_path(comment: Comment) -> str:
    if has_request_context():
        path = url_for("calls.detail", call_id=comment.call_id)
    else:
        path = current_app.url_map.bind("localhost").build("calls.detail", {"call_id": comment.call_id})
    return f"{path}#comment-{comment.id}"


def _notify(people: Iterable[User], kind: str, comment: Comment, author: User, call: Call) -> int:
    sent = 0
    for person in people:
        if person.id == author.id:
            continue
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            if kind == "mention":
                message = _("%(name)s mentioned you on “%(title)s” at %(time)s.", name=author.name, title=call.title,
                            time=clock_text(comment.at_s))
            else:
                message = _("%(name)s replied to your comment on “%(title)s” at %(time)s.", name=author.name,
                            title=call.title, time=clock_text(comment.at_s))
        notify(person, kind, message, _comment_path(comment))
        sent += 1
    return sent


# Changes ----------------------------------------------------------------------------------------------------------


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise UserError(_("Write something: a comment cannot be empty."))
    if len(body) > MAX_BODY:
        raise UserError(_("A comment may have at most %(n)d characters.", n=MAX_BODY))
    return body


def check_second(call: Call, at_s: float) -> float:
    """The second, rounded to tenths, or UserError when it is outside the call."""
    if call.duration_s is None:
        raise UserError(_("The length of this call is not known yet, so a comment cannot point at a second of it; "
                          "try again once it is processed."))
    if not within_call(at_s, call.duration_s):
        raise UserError(_("%(time)s is outside this call, which lasts %(length)s: choose a time from 0:00 to "
                          "%(length)s.", time=clock_text(at_s) if math.isfinite(at_s) and at_s >= 0 else f"{at_s:g}",
                          length=clock_text(call.duration_s)))
    return round(at_s, 1)


def add_comment(call: Call, author: User, *, body: str, at_s: float | None, visibility: Visibility = Visibility.TEAM,
                parent: Comment | None = None, bite_id: int | None = None) -> Comment:
    """Post a comment on `call` at `at_s` seconds (call time), or a reply to `parent` (its second and visibility);
    notify the people it mentions and the author of the comment it answers. `bite_id` records the bite page it was
    written on; a bite gone meanwhile is simply not recorded."""
    if not calls.can_view(author, call):
        raise NotAllowed(_("This call does not exist or is not yours to open."))
    body = _clean_body(body)
    if parent is not None:
        if parent.call_id != call.id or not can_read(author, parent, call):
            raise NotAllowed(_("This comment does not exist or is not yours to read."))
        # The author of the comment answered (also when it is itself a reply), unless they deleted it.
        answered = None if parent.is_deleted else parent.author
        if parent.parent_id is not None:  # a reply to a reply joins the thread
            parent = db.session.get(Comment, parent.parent_id) or parent
        at_s, visibility, bite_id = parent.at_s, parent.visibility, parent.bite_id
    else:
        answered = None
    if at_s is None:
        raise UserError(_("Say at which second of the call the comment is, for example 1:23."))
    at_s = check_second(call, at_s)
    mentioned = resolve_mentions(body, call, visibility)
    comment = Comment(call_id=call.id, author_id=author.id, at_s=at_s, body=body, visibility=visibility,
                      parent_id=parent.id if parent is not None else None)
    _anchor_to_bite(comment, bite_id)
    _notify(mentioned, "mention", comment, author, call)
    if parent is not None and answered is not None and answered not in mentioned and can_read(answered, parent, call):
        _notify([answered], "comment_reply", comment, author, call)
    return comment


def _anchor_to_bite(comment: Comment, bite_id: int | None) -> None:
    """Flush the new comment with the bite it was written on, or without one when that bite was deleted meanwhile
    (by a re-cut or an edit in another request): a savepoint keeps the comment whatever the bite's fate."""
    if bite_id is not None:
        bite = db.session.get(Bite, bite_id)
        comment.bite_id = bite.id if bite is not None and bite.call_id == comment.call_id else None
    if comment.bite_id is None:
        db.session.add(comment)
        db.session.flush()
        return
    from sqlalchemy.exc import IntegrityError

    try:
        with db.session.begin_nested():  # flushes what came before; only the comment's insert is in the savepoint
            db.session.add(comment)
            db.session.flush()
    except IntegrityError:  # the bite's row went between our read and our insert
        log.info("comment on call %s: bite %s deleted meanwhile; kept on the call", comment.call_id, bite_id)
        comment.bite_id = None
        db.session.add(comment)
        db.session.flush()


def can_edit(user: User, comment: Comment) -> bool:
    """Authors edit their own comments (not one already deleted)."""
    return comment.author_id == user.id and not comment.is_deleted


def edit_comment(comment: Comment, user: User, body: str, now: datetime | None = None) -> Comment:
    """Change the comment's text (it is then marked edited); people newly mentioned are notified."""
    call = require_read(user, comment)
    if not can_edit(user, comment):
        raise NotAllowed(_("Only its author can edit a comment."))
    body = _clean_body(body)
    if body == comment.body:
        return comment
    before = set(find_handles(comment.body))
    mentioned = resolve_mentions(body, call, comment.visibility)
    comment.body = body
    comment.edited_at = now or utcnow()
    _notify([u for u in mentioned if handle_of(u.email) not in before and u.email.lower() not in before],
            "mention", comment, user, call)
    return comment


def can_delete(user: User, comment: Comment) -> bool:
    """Authors delete their comments; enablement and admins any comment they read."""
    return comment.author_id == user.id or can_moderate(user)


def delete_comment(comment: Comment, user: User, now: datetime | None = None) -> None:
    """Delete a comment: one with replies is emptied and kept (its thread stays readable), others go entirely; an
    emptied parent left with no replies goes too."""
    call = require_read(user, comment)
    if not can_delete(user, comment):
        raise NotAllowed(_("Only its author, enablement and admins can delete a comment."))
    if comment.author_id != user.id:
        audit.record(user, "comment.delete", comment, {"call_id": call.id, "author_id": comment.author_id})
    has_replies = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.parent_id == comment.id))
    if has_replies:
        comment.body = ""
        comment.deleted_at = now or utcnow()
        return
    parent = db.session.get(Comment, comment.parent_id) if comment.parent_id else None
    db.session.delete(comment)
    db.session.flush()
    if parent is not None and parent.is_deleted:
        left = db.session.scalar(select(func.count()).select_from(Comment).where(Comment.parent_id == parent.id))
        if not left:
            db.session.delete(parent)


def set_hidden(comment: Comment, user: User, hidden: bool, now: datetime | None = None) -> None:
    """Hide a comment from everyone but its author and enablement, or show it again (enablement and admins)."""
    require_read(user, comment)
    if not can_moderate(user):
        raise NotAllowed(_("Only enablement and admins moderate comments."))
    comment.hidden_at = (now or utcnow()) if hidden else None
    comment.hidden_by_id = user.id if hidden else None
    audit.record(user, "comment.hide" if hidden else "comment.show", comment, {"call_id": comment.call_id})


def shows_text(user: User, comment: Comment) -> bool:
    """Whether the viewer reads the comment's text: not deleted, and not hidden unless they wrote or moderate it."""
    if comment.is_deleted:
        return False
    return not comment.is_hidden or comment.author_id == user.id or can_moderate(user)

