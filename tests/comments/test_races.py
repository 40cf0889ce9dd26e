"""Comments posted on a bite while that bite goes (a re-cut or a curation edit in another request): a real served
site, posts from threads while the bite is deleted in its own transaction. Every comment is kept, on the call at its
second; none is lost and none is left pointing at the bite that went. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from enable.auth.models import User
from enable.bites.models import Bite
from enable.calls.models import Call
from enable.comments import services
from enable.comments.models import Comment
from enable.extensions import db
from tests.comments.conftest import PEOPLE
from tests.conftest import base_config
from tests.factories import PASSWORD

WRITERS = 4
EACH = 8


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app_config(request, tmp_path):
    config = base_config(tmp_path)
    if request.param == "postgres":
        config["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue("own_postgres")
    return config


def test_comments_posted_on_a_bite_being_deleted_all_stay_on_the_call(app, world, live_server):
    first = requests.Session()
    response = first.post(f"{live_server}/auth/login", data={"email": PEOPLE["manager"][0], "password": PASSWORD},
                          allow_redirects=False, timeout=30)
    assert response.status_code == 302
    bite_id = world.bites[1]
    started = threading.Barrier(WRITERS + 1)

    def write(n: int) -> list[int]:
        session = requests.Session()
        session.cookies.update(first.cookies)
        codes = []
        started.wait(timeout=30)
        for k in range(EACH):
            reply = session.post(f"{live_server}/comments/calls/{world.call}", timeout=60, allow_redirects=False,
                                 data={"body": f"w{n} c{k}", "at": "1:40", "visibility": "team",
                                       "bite_id": str(bite_id)})
            codes.append(reply.status_code)
        return codes

    with ThreadPoolExecutor(WRITERS) as pool:
        futures = [pool.submit(write, n) for n in range(WRITERS)]
        started.wait(timeout=30)
        with app.app_context():  # the bite goes while the posts arrive
            db.session.delete(db.session.get(Bite, bite_id))
            db.session.commit()
        codes = [code for f in futures for code in f.result()]

    assert codes == [302] * (WRITERS * EACH)
    with app.app_context():
        kept = list(db.session.scalars(select(Comment)))
        assert sorted(c.body for c in kept) == sorted(f"w{n} c{k}" for n in range(WRITERS) for k in range(EACH))
        assert {(c.call_id, c.at_s, c.bite_id) for c in kept} == {(world.call, 100.0, None)}


def test_a_bite_deleted_between_reading_it_and_inserting_the_comment(app, world, caplog):
    """The narrowest window: this request has read the bite, another transaction deletes it and commits, then the
    insert naming it fails its foreign key; the comment is inserted again without the bite, nothing else undone."""
    with app.app_context():
        call, rep = db.session.get(Call, world.call), db.session.get(User, world.users["rep"])
        kept = services.add_comment(call, rep, body="before", at_s=5)
        db.session.commit()
        bite = db.session.get(Bite, world.bites[1])  # read (and held): in this session's identity map
        assert bite is not None
        with db.engine.connect() as other:
            other.execute(Bite.__table__.delete().where(Bite.__table__.c.id == world.bites[1]))
            other.commit()
        with caplog.at_level("INFO", logger="enable.comments.services"):
            comment = services.add_comment(call, rep, body="racing", at_s=100, bite_id=world.bites[1])
        assert "deleted meanwhile" in caplog.text  # the insert naming the bite failed, and was made again
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Comment, comment.id).bite_id is None
        assert sorted(c.body for c in db.session.scalars(select(Comment))) == ["before", "racing"]
        assert kept.id is not None
