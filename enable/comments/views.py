"""Comment routes (post, reply, edit, delete, hide) and the panel the call and bite pages include."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from enable.auth.decorators import role_required
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.calls import services as calls
from enable.calls.models import Call
from enable.comments import bp
from enable.comments import services as comments
from enable.comments.forms import CommentForm, EditCommentForm
from enable.comments.mentions import handle_of
from enable.comments.models import Comment, Visibility
from enable.comments.timeline import Marker, line_of, markers, parse_clock
from enable.demo import register_demo_step
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.playbooks.rendering import render_markdown
from enable.request_args import parse_id


def _demo_comments(users: dict[str, User]) -> str:
    """On the first sample call: a manager's comment mentioning the rep, the rep's reply and a private note."""
    from sqlalchemy import select

    manager, rep = users.get("manager@example.test"), users.get("rep@example.test")
    call = db.session.scalar(select(Call).where(Call.duration_s.is_not(None)).order_by(Call.id).limit(1))
    if call is None or manager is None or rep is None:
        return "no sample call to comment on"
    if db.session.scalar(select(Comment.id).where(Comment.call_id == call.id).limit(1)) is not None:
        return "comments already there"
    duration = call.duration_s or 0
    first = comments.add_comment(call, manager, at_s=round(duration * 0.2), body=(
        f"@{handle_of(rep.email)} good question here: you let the customer **name the budget** first."))
    comments.add_comment(call, rep, at_s=None, parent=first, body="Thanks! I'll try it on the next discovery call.")
    comments.add_comment(call, manager, at_s=round(duration * 0.6), visibility=Visibility.PRIVATE,
                         body="Coaching note: practise the pricing pause with Riley.")
    return f"3 comments on “{call.title}”"


register_demo_step("comments", _demo_comments)


@dataclass
class CommentPanel:
    """What the comment partials of the call page ("call") and the bite page ("bite") show."""

    mode: str
    call: Call
    bite: Bite | None
    threads: list[comments.Thread]
    markers: list[Marker]
    by_line: dict[float, list[Comment]]  # the comments beside each transcript line, by the line's start
    form: CommentForm
    people: list[tuple[str, str]]  # (handle, name) of those a team comment may mention
    can_moderate: bool
    user_id: int
    count: int = 0
    editable: set[int] = field(default_factory=set)
    deletable: set[int] = field(default_factory=set)
    readable: set[int] = field(default_factory=set)  # ids whose text the viewer reads

    def at_line(self, start_s: float) -> list[Comment]:
        """The comments shown beside the transcript line starting at `start_s`."""
        return self.by_line.get(start_s, [])

    def seek_url(self, at_s: float) -> str:
        """A link that opens the page at this second (without JavaScript too)."""
        if self.bite is not None:
            return url_for("bites.detail", bite_id=self.bite.id, t=int(at_s))
        return url_for("calls.detail", call_id=self.call.id, t=int(at_s))


@bp.app_template_global("comment_panel")
def comment_panel(call: Call, line_starts: Sequence[float] = (), bite: Bite | None = None) -> CommentPanel | None:
    """The comments of the call (or of the bite) for the signed-in user, or None when they may not read any."""
    user: User = current_user
    if not user.is_authenticated or not calls.can_view(user, call):
        return None
    threads = comments.bite_threads(bite, user) if bite is not None else comments.call_threads(call, user)
    everything = [c for t in threads for c in (t.comment, *t.replies)]
    by_line: dict[float, list[Comment]] = {}
    starts = sorted(line_starts)
    for t in threads:
        if (index := line_of(t.comment.at_s, starts)) is not None:
            by_line.setdefault(starts[index], []).append(t.comment)
    form = CommentForm(formdata=None, bite_id=str(bite.id) if bite is not None else "")
    people = comments.mentionable_people(call) if comments.sees_team_comments(user, call) else []
    return CommentPanel(
        mode="bite" if bite is not None else "call", call=call, bite=bite, threads=threads,
        markers=markers([(t.comment.id, t.comment.at_s) for t in threads], call.duration_s or 0),
        by_line=by_line, form=form, people=[(handle_of(p.email), p.name) for p in people if p.id != user.id],
        can_moderate=comments.can_moderate(user), user_id=user.id, count=len(everything),
        editable={c.id for c in everything if comments.can_edit(user, c)},
        deletable={c.id for c in everything if not c.is_deleted and comments.can_delete(user, c)},
        readable={c.id for c in everything if comments.shows_text(user, c)})


@bp.app_template_filter("comment_html")
def comment_html(body: str) -> Markup:
    """A comment's Markdown as sanitised HTML, exactly as playbooks are rendered."""
    return Markup(render_markdown(body).html)  # noqa: S704  (sanitised by nh3 in render_markdown)


def _back(call: Call, bite_id: int | None, comment_id: int | None = None) -> str:
    anchor = f"comment-{comment_id}" if comment_id else "comments"
    bite = db.session.get(Bite, bite_id) if bite_id else None
    if bite is not None and bite.call_id == call.id:
        return url_for("bites.detail", bite_id=bite.id, _anchor=anchor)
    return url_for("calls.detail", call_id=call.id, _anchor=anchor)


def _readable_comment(comment_id: int) -> tuple[Comment, Call]:
    comment = db.get_or_404(Comment, comment_id)
    try:
        return comment, comments.require_read(current_user, comment)
    except NotAllowed:
        abort(404)


def _second(form: CommentForm) -> float | None:
    raw = (form.at.data or "").strip()
    if not raw:
        return None
    at_s = parse_clock(raw)
    if at_s is None:
        raise UserError(_("“%(value)s” is not a time: write minutes and seconds, for example 1:23.", value=raw[:16]))
    return at_s


@bp.post("/calls/<int:call_id>")
@login_required
def create(call_id: int):
    """Post a comment (or a reply) on the call; with an error, the form comes back with what was typed."""
    call = db.get_or_404(Call, call_id)
    if not calls.can_view(current_user, call):
        abort(404)
    form = CommentForm()
    parent_id = parse_id(form.parent_id.data)
    bite_id = parse_id(form.bite_id.data)
    if form.validate_on_submit():
        parent = db.session.get(Comment, parent_id) if parent_id else None
        if parent_id and parent is None:
            abort(404)
        try:
            comment = comments.add_comment(call, current_user, body=form.body.data, at_s=_second(form),
                                           visibility=Visibility(form.visibility.data), parent=parent,
                                           bite_id=bite_id)
        except NotAllowed:
            db.session.rollback()
            abort(404)
        except UserError as e:
            db.session.rollback()
            form.body.errors = [*form.body.errors, e.message]
        else:
            db.session.commit()
            flash(_("Comment posted at %(time)s.", time=comments.clock_text(comment.at_s)), "success")
            return redirect(_back(call, bite_id, comment.id))
    return render_template("comments/form.html", form=form, call=call, back=_back(call, bite_id),
                           is_reply=bool(parent_id)), 422


@bp.route("/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(comment_id: int):
    comment, call = _readable_comment(comment_id)
    if not comments.can_edit(current_user, comment):
        abort(403)
    form = EditCommentForm(obj=comment) if request.method == "GET" else EditCommentForm()
    if form.validate_on_submit():
        try:
            comments.edit_comment(comment, current_user, form.body.data)
        except UserError as e:
            db.session.rollback()
            form.body.errors = [*form.body.errors, e.message]
        else:
            db.session.commit()
            flash(_("Comment saved."), "success")
            return redirect(_back(call, comment.bite_id, comment.id))
    status = 422 if request.method == "POST" else 200
    return render_template("comments/edit.html", form=form, call=call, comment=comment,
                           back=_back(call, comment.bite_id, comment.id)), status


@bp.post("/<int:comment_id>/delete")
@login_required
def delete(comment_id: int):
    comment, call = _readable_comment(comment_id)
    bite_id = comment.bite_id
    try:
        comments.delete_comment(comment, current_user)
    except NotAllowed:
        abort(403)
    db.session.commit()
    flash(_("Comment deleted."), "success")
    return redirect(_back(call, bite_id))


@bp.post("/<int:comment_id>/hide")
@role_required(Role.ENABLEMENT)
def hide(comment_id: int):
    """Moderation: hide a comment from everyone but its author and enablement (hidden=0 shows it again)."""
    comment, call = _readable_comment(comment_id)
    hidden = request.form.get("hidden", "1") != "0"
    comments.set_hidden(comment, current_user, hidden)
    db.session.commit()
    flash(_("Comment hidden.") if hidden else _("Comment shown again."), "success")
    return redirect(_back(call, comment.bite_id, comment.id))
