"""The audit log page: admin and enablement actions done through the site appear there, filtered and paged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from enable import audit
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.extensions import db
from tests.calls.helpers import call_of, ingest_sample, load_content


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False  # the pipeline is run directly on a sample's stored transcript
    return app_config


def test_actions_done_on_the_site_show_on_the_audit_page(app, login, users):
    with app.app_context():
        load_content()
        call_id = ingest_sample("negotiation-price", rep_id=users[Role.REP], title="Northwind price talk")
        bite_id = call_of(call_id).bites[0].id
        tag_id = next(t.tag_id for t in db.session.get(Bite, bite_id).tags)
    admin = login(Role.ADMIN)
    lead = login(Role.ENABLEMENT)
    # user and role changes, a team
    assert admin.post("/auth/users/new", data={"name": "Ola Audit", "email": "ola@example.test", "role": "rep",
                                               "team": "", "new_team": "", "locale": "",
                                               "password": "longenough1"}).status_code == 302
    with app.app_context():
        ola = db.session.scalar(select(User).where(User.email == "ola@example.test")).id
    assert admin.post(f"/auth/users/{ola}", data={"name": "Ola Audit", "email": "ola@example.test",
                                                  "role": "manager", "team": "", "new_team": "", "locale": "",
                                                  "is_active": "y"}).status_code == 302
    assert admin.post("/auth/teams", data={"name": "Audit Team", "manager": ""}).status_code == 302
    # curation of a bite, editing and retrying a call
    assert lead.post(f"/bites/{bite_id}/tags/{tag_id}/remove").status_code == 302
    assert lead.post(f"/bites/{bite_id}/best", data={"best": "1"}).status_code == 302
    assert lead.post(f"/calls/{call_id}/edit", data={"title": "Renamed call", "rep": "", "deal": "",
                                                     "call_date": "", "stage": ""}).status_code == 302
    with app.app_context():
        call = db.session.get(Call, call_id)
        call.status, call.error = CallStatus.FAILED, "test failure"
        db.session.commit()
    assert lead.post(f"/calls/{call_id}/retry").status_code == 302

    page = admin.get("/auth/audit").get_data(as_text=True)
    for action in ("call.upload", "user.create", "user.update", "team.save", "bite.tag_remove", "bite.best",
                   "call.update", "call.retry"):
        assert f"<code>{action}</code>" in page, action
    assert "role: manager" in page and "Enablement User" in page and "Admin User" in page

    # Filters: by actor, by action family, by exact action
    only_lead = admin.get(f"/auth/audit?actor={users[Role.ENABLEMENT]}").get_data(as_text=True)
    assert "<code>bite.best</code>" in only_lead and "<code>user.create</code>" not in only_lead
    users_only = admin.get("/auth/audit?action=user").get_data(as_text=True)
    assert "<code>user.create</code>" in users_only and "<code>user.update</code>" in users_only
    assert "<code>call.retry</code>" not in users_only
    exact = admin.get("/auth/audit?action=call.retry").get_data(as_text=True)
    assert "<code>call.retry</code>" in exact and "<code>call.update</code>" not in exact


def test_the_audit_page_filters_by_date_and_pages(app, login, users):
    now = utcnow()
    with app.app_context():
        admin_user = db.session.get(User, users[Role.ADMIN])
        for n in range(60):
            audit.record(admin_user, "user.update", admin_user, {"n": f"recent-{n}"}, at=now - timedelta(minutes=n))
        audit.record(admin_user, "team.save", None, {"n": "old"}, at=now - timedelta(days=40))
        db.session.commit()
    admin = login(Role.ADMIN)
    first = admin.get("/auth/audit").get_data(as_text=True)
    assert "61 events" in first and "Page 1 of 2" in first
    assert "n: recent-0" in first and "n: recent-49" in first and "n: recent-50<" not in first
    second = admin.get("/auth/audit?page=2").get_data(as_text=True)
    assert "n: recent-50" in second and "n: old" in second
    day = (now - timedelta(days=40)).date().isoformat()
    old_only = admin.get(f"/auth/audit?since={day}&until={day}").get_data(as_text=True)
    assert "1 event" in old_only and "1 events" not in old_only and "n: old" in old_only and "recent-0" not in old_only
    # Bad filter values are ignored, not errors
    assert admin.get("/auth/audit?since=yesterday&actor=x&page=-3").status_code == 200


def test_only_admins_see_the_audit_log(login):
    assert login(Role.ENABLEMENT).get("/auth/audit").status_code == 403
    assert "Audit log" in login(Role.ADMIN).get("/").get_data(as_text=True)
