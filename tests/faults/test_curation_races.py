"""Two curators on the same bite at once, on SQLite and on PostgreSQL: each edit takes the bite's row lock
(`database.lock_row`) and works on what the other committed, so nothing is lost and the call stays whole."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from enable.bites import editing
from enable.bites.models import Bite
from enable.extensions import db
from tests.bites.test_editing import _bite, _words_in_order, bites  # noqa: F401  (bites: the fixture)
from tests.conftest import base_config, served
from tests.factories import PASSWORD


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app_config(request, tmp_path):
    config = base_config(tmp_path)
    if request.param == "postgres":
        config["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue("own_postgres")
    return config


def _session(base: str, who: str) -> requests.Session:
    s = requests.Session()
    response = s.post(f"{base}/auth/login", data={"email": who, "password": PASSWORD}, allow_redirects=False,
                      timeout=30)
    assert response.status_code == 302
    return s


def test_two_curators_on_the_same_bite_at_once_lose_nothing(app, bites):  # noqa: F811
    """One renames while the other trims: the trim (which sets the default title of an unnamed bite) must not
    overwrite the name, and both edits are kept; each request takes the bite's row lock first."""
    with served(app) as base:
        renamer, trimmer = _session(base, "enablement@example.test"), _session(base, "manager@example.test")
        gate = threading.Barrier(2)

        def send(job):
            gate.wait(timeout=30)
            return job()

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(send, [
                lambda: renamer.post(f"{base}/bites/{bites['middle']}/rename", data={"title": "Named by hand"},
                                     allow_redirects=False, timeout=60),
                lambda: trimmer.post(f"{base}/bites/{bites['middle']}/trim", data={"start": "4.6", "end": "8.3"},
                                     allow_redirects=False, timeout=60),
            ]))
    assert [r.status_code for r in results] == [302, 302]
    with app.app_context():
        bite = _bite(bites["middle"])
        assert bite.title == "Named by hand" and bite.text == "Honestly this is too expensive for us."


def test_a_split_and_a_merge_at_once_leave_the_call_whole(app, bites):  # noqa: F811
    """One curator splits the middle bite while another merges it with the next: whichever goes second works on
    what the first committed, and every word of the call stays in at most one bite."""
    with app.app_context():
        at = editing.page_split_points(_bite(bites["middle"]))[0].first_word
    with served(app) as base:
        a, b = _session(base, "enablement@example.test"), _session(base, "manager@example.test")
        gate = threading.Barrier(2)

        def send(job):
            gate.wait(timeout=30)
            return job()

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(send, [
                lambda: a.post(f"{base}/bites/{bites['middle']}/split", data={"at_word": str(at)},
                               allow_redirects=False, timeout=60),
                lambda: b.post(f"{base}/bites/{bites['middle']}/merge", allow_redirects=False, timeout=60),
            ]))
    assert all(r.status_code == 302 for r in results)
    with app.app_context():
        spans = _words_in_order(bites["call"])
        covered = [i for first, last in spans for i in range(first, last + 1)]
        assert sorted(covered) == covered and len(covered) == len(set(covered)) == 39
        seqs = db.session.scalars(select(Bite.seq).where(Bite.call_id == bites["call"]).order_by(Bite.seq)).all()
        assert seqs == list(range(len(seqs)))


def test_two_trims_into_the_same_gap_at_once_never_overlap(app, bites, monkeypatch):  # noqa: F811
    """Two curators grow adjacent bites into the words between them at once: each trim takes the call's lock first
    and checks the neighbour as the other left it, so one is refused and no word ends up in two bites.

    To make the moment certain, each trim, once it has read its neighbours, waits (a few seconds at most) for the
    other to have read them too: without the call's lock both read the neighbours as they were before either trim."""
    read_both = threading.Barrier(2)
    others = editing._others

    def _others_then_wait(bite):
        found = others(bite)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other trim waits for this one's lock
            read_both.wait(timeout=3)
        return found

    with served(app) as base:
        a, b = _session(base, "enablement@example.test"), _session(base, "manager@example.test")
        gap = a.post(f"{base}/bites/{bites['last']}/trim", data={"start": "15.5", "end": "18"}, allow_redirects=False,
                     timeout=60)  # "We already use Gong for coaching." now between the middle and the last bite
        assert gap.status_code == 302
        monkeypatch.setattr(editing, "_others", _others_then_wait)
        gate = threading.Barrier(2)

        def send(job):
            gate.wait(timeout=30)
            return job()

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(send, [
                lambda: a.post(f"{base}/bites/{bites['middle']}/trim", data={"start": "4.5", "end": "15.1"},
                               allow_redirects=False, timeout=60),
                lambda: b.post(f"{base}/bites/{bites['last']}/trim", data={"start": "12.4", "end": "18"},
                               allow_redirects=False, timeout=60),
            ]))
    assert all(r.status_code == 302 for r in results)
    with app.app_context():
        spans = _words_in_order(bites["call"])
        covered = [i for first, last in spans for i in range(first, last + 1)]
        assert sorted(covered) == covered and len(covered) == len(set(covered)), spans
        assert spans[1][1] == 32 or spans[2][0] <= 27, spans  # one of the two trims took the gap
