"""`flask links check` against a real local HTTP server, internal links against the database, and the report."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.extensions import db
from enable.playbooks import governance
from enable.playbooks.models import Link, LinkCheck
from tests.factories import PASSWORD, make_user
from tests.playbooks.factories import make_bite, make_link_asset, make_playbook

SLOW_S = 2.0


class _Handler(BaseHTTPRequestHandler):
    flaky_hits: dict[str, int] = {}

    def _answer(self, with_body: bool) -> None:
        path = self.path
        if path == "/slow":
            time.sleep(SLOW_S)
        if path == "/flaky":
            hits = self.flaky_hits[path] = self.flaky_hits.get(path, 0) + 1
            code = 503 if hits <= 2 else 200  # HEAD and the first GET fail, the retry succeeds
        else:
            code = {"/ok": 200, "/slow": 200, "/old": 301, "/missing": 404, "/gone": 410, "/down": 500}.get(path, 404)
        self.send_response(code)
        if code == 301:
            self.send_header("Location", "/ok")
        body = b"hello" if code == 200 else b""
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(True)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """The link checker may fetch the local test site (127.0.0.1) in these tests, as an admin may allow."""
    return {**app_config, "LINKCHECK_ALLOW_PRIVATE": True}


@pytest.fixture
def site() -> Iterator[str]:
    """A local web site on 127.0.0.1 with pages that answer 200, 301, 404, 410, 500, 503-then-200 and slowly."""
    _Handler.flaky_hits = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody-listens"


def _statuses(app) -> dict[str, tuple[str, int | None, str | None]]:
    with app.app_context():
        return {lk.url: (lk.status, lk.http_status, lk.final_url) for lk in db.session.scalars(select(Link))}


def test_links_check_classifies_every_case_and_keeps_history(app, users, runner, site):
    refused = _refused_url()
    with app.app_context():
        lead = db.session.get(User, users[Role.ENABLEMENT])
        target = make_playbook(title="Target")
        archived_bite = make_bite()
        archived_bite.archived_at = utcnow()
        body = "\n".join([
            f"- [fine]({site}/ok)", f"- [moved]({site}/old)", f"- [missing]({site}/missing)",
            f"- [gone]({site}/gone)", f"- [slow]({site}/slow)", f"- [refused]({refused})",
            f"- [flaky]({site}/flaky)", f"- [down]({site}/down)",
            f"- [a playbook](/playbooks/{target.id})", "- [deleted playbook](/playbooks/999999)",
            f"- [archived clip](/bites/{archived_bite.id}?t=20)", "- [sample not imported](bite:no-such-sample#0)",
            "- `[in code](https://code.example/not-a-link)`",
        ])
        source = make_playbook(title="Links everywhere", body=body)
        make_link_asset(f"{site}/gone", lead, title="Old battlecard")
        db.session.commit()
        source_id, target_id, bite_id = source.id, target.id, archived_bite.id

    result = runner.invoke(args=["links", "check", "--timeout", "0.5", "--backoff", "0.05"])
    assert result.exit_code == 0, result.output
    found = _statuses(app)
    assert found[f"{site}/ok"] == ("ok", 200, None)
    assert found[f"{site}/old"] == ("moved", 200, f"{site}/ok")
    assert found[f"{site}/missing"][:2] == ("broken", 404)
    assert found[f"{site}/gone"][:2] == ("broken", 410)
    assert found[f"{site}/slow"][0] == "timeout"
    assert found[refused][0] == "refused"
    assert found[f"{site}/flaky"][:2] == ("ok", 200)  # a 5xx is retried before being reported
    assert found[f"{site}/down"][:2] == ("server_error", 500)
    assert found[f"/playbooks/{target_id}"][0] == "ok"
    assert found["/playbooks/999999"][0] == "broken"
    assert found[f"/bites/{bite_id}"][0] == "broken"
    assert found["bite:no-such-sample#0"][0] == "broken"
    assert not any("code.example" in url for url in found)

    out = result.output
    assert "checked 13 links:" in out and "broken 6" in out and "moved 1" in out and "timeout 1" in out
    assert f"moved 200: {site}/old -> {site}/ok in playbook {source_id}" in out
    assert f'broken 410: {site}/gone in asset' in out and '"Old battlecard"' in out

    with app.app_context():
        first_since = db.session.scalar(select(Link.since).where(Link.url == f"{site}/missing"))
        assert first_since is not None
    runner.invoke(args=["links", "check", "--timeout", "0.5", "--backoff", "0.05"])
    with app.app_context():
        link = db.session.scalar(select(Link).where(Link.url == f"{site}/missing"))
        assert link.since == first_since  # still broken since the first check that found it
        assert db.session.scalar(select(func.count()).where(LinkCheck.link_id == link.id)) == 2
        ok = db.session.scalar(select(Link).where(Link.url == f"{site}/ok"))
        assert ok.since is None


def test_broken_links_report_and_csv(app, users, login):
    with app.app_context():
        playbook = make_playbook(title="Pricing, 2026", body="[old deck](/assets/999999) and [ok](/playbooks/1)")
        db.session.commit()
        governance_links = governance.link_rows()
        assert governance_links == []  # nothing checked yet
        from enable.playbooks.links import check_links

        check_links(utcnow(), external=False)
        db.session.commit()
        playbook_id = playbook.id
    client = login(Role.ENABLEMENT)
    page = client.get("/links/").get_data(as_text=True)
    assert "/assets/999999" in page and "Pricing, 2026" in page and "Broken" in page
    response = client.get("/links/report.csv")
    assert response.mimetype == "text/csv"
    data = response.data
    assert data.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so Excel reads UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("source_kind,source_id,source_title,url,status")
    assert lines[1].startswith(f'playbook,{playbook_id},"Pricing, 2026",/assets/999999,broken')
    assert len(lines) == 2
    assert "999999" not in client.get("/links/report.csv?status=moved").get_data(as_text=True)
    assert login(Role.MANAGER).get("/links/").status_code == 403


def test_check_now_runs_the_check(app, users, login):
    with app.app_context():
        make_playbook(body="[gone](/playbooks/424242)")
        db.session.commit()
    response = login(Role.ENABLEMENT).post("/links/check")
    assert response.status_code == 302
    assert _statuses(app)["/playbooks/424242"][0] == "broken"


@pytest.mark.parametrize("allowed", [False, True])
def test_links_to_private_addresses_are_not_fetched_unless_allowed(app_config, site, allowed):
    from tests.conftest import made_app

    _Handler.flaky_hits = {}
    with made_app({**app_config, "LINKCHECK_ALLOW_PRIVATE": allowed}) as app:
        with app.app_context():
            make_playbook(title="Internal wiki", body=f"[ops](http://127.1:{site.rsplit(':', 1)[1]}/flaky)")
            db.session.commit()
        result = app.test_cli_runner().invoke(args=["links", "check", "--timeout", "2", "--backoff", "0.05"])
        assert result.exit_code == 0, result.output
        status = next(iter(_statuses(app).values()))
        if allowed:
            assert status[:2] == ("ok", 200) and _Handler.flaky_hits["/flaky"] == 3
            return
        assert status == ("private", None, None) and _Handler.flaky_hits == {}
        with app.app_context():
            lead = make_user(role=Role.ENABLEMENT, email="lead@example.test", locale="ru")
            db.session.commit()
            email = lead.email
        client = app.test_client()
        assert client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
        page = client.get("/links/?status=private").get_data(as_text=True)
        assert "Internal wiki" in page and "Не проверена: частный адрес" in page
