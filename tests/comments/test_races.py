"""Comments posted on a bite while that bite goes (a re-cut or a curation edit in another request): a real served
site, posts from threads while the bite is deleted in its own transaction. Every comment is kept, on the call at its
second; none is lost and none is left pointing at the bite that went. Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from enable.bites.models import Bite
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
