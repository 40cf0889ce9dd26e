"""Tracks, a person's progress, certifications and a person's awards."""

from __future__ import annotations

from flask_babel import gettext as _

from enable.api.core import LIST_PARAMS, list_of, not_found, ok, operation, page_of_list, reply
from enable.api.core import api_user as user
from enable.api.schemas import AWARD, CERTIFICATION, PROGRESS, TRACK, award_json, certification_json, iso, track_json
from enable.auth.models import Role, User
from enable.db import utcnow
from enable.extensions import db
from enable.learning import certifications, tracks
from enable.reasons import N_

TAG = N_("Learning")


@operation("GET", "/tracks", role=Role.ENABLEMENT, tag=TAG, summary=N_("List the onboarding tracks with their steps"),
           params=LIST_PARAMS, replies={200: ok(list_of(TRACK))})
def tracks_list():
    return reply(page_of_list(tracks.list_tracks(), track_json))


def _person(user_id: int) -> User:
    """Yourself; your team as a manager; anyone as enablement or admin. Others are 404, as on the site."""
    person = db.session.get(User, user_id)
    if person is None or not tracks.can_view_person(user(), person):
        raise not_found(_("This person does not exist or their learning is not yours to see."))
    return person


@operation("GET", "/users/<int:user_id>/progress", role=Role.REP, tag=TAG, summary=N_("A person's track progress"),
           params=LIST_PARAMS, replies={200: ok(list_of(PROGRESS))},
           description=N_("Each track assigned to the person, open ones first, with every step's due day and "
                          "completion."))
def users_progress(user_id: int):
    person = _person(user_id)
    now = utcnow()
    tracks.sync_progress(person, now)
    db.session.commit()
    def render(assignment) -> dict:
        progress = tracks.assignment_progress(assignment, now.date())
        steps = {s.id: s for s in assignment.track.steps}
        return {"assignment_id": assignment.id, "track_id": assignment.track_id,
                "track_title": assignment.track.title, "started_on": iso(assignment.started_on),
                "completed_at": iso(assignment.completed_at), "steps_done": progress.done,
                "steps_total": progress.total, "percent": progress.percent, "overdue": progress.overdue,
                "steps": [{"step_id": s.step_id, "title": steps[s.step_id].title, "kind": steps[s.step_id].kind.value,
                           "due_on": iso(s.due_on), "completed_at": iso(s.completed_at)} for s in progress.steps]}

    return reply(page_of_list(tracks.assignments_of(person), render))


@operation("GET", "/certifications", role=Role.REP, tag=TAG,
           summary=N_("List the certifications and what they require"),
           params=LIST_PARAMS, replies={200: ok(list_of(CERTIFICATION))})
def certifications_list():
    return reply(page_of_list(certifications.list_certifications(), certification_json))


@operation("GET", "/users/<int:user_id>/awards", role=Role.REP, tag=TAG,
           summary=N_("A person's certifications (latest award of each)"), params=LIST_PARAMS,
           replies={200: ok(list_of(AWARD))})
def users_awards(user_id: int):
    person = _person(user_id)
    now = utcnow()
    return reply(page_of_list(certifications.awards_of(person), lambda a: award_json(a, now)))
