"""The demo site (`flask content load` + `flask demo load`) on a fresh SQLite database, served by waitress: the
accessibility, keyboard and phone tests and the role journeys run against it (the `demo_site` fixture in
tests/conftest.py builds it once per session)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from enable import create_app
from enable.demo import DEMO_PASSWORD
from enable.extensions import db
from tests.conftest import base_config, served

DEMO_LOGINS = {
    "rep": "rep@example.test", "newhire": "newhire@example.test", "manager": "manager@example.test",
    "enablement": "enablement@example.test", "admin": "admin@example.test",
}


@dataclass
class DemoSite:
    """The served demo: its base URL, the app (for looking ids up) and the ids the audited pages need."""

    url: str
    app: object
    ids: dict


def _demo_ids() -> dict:
    """The first record of each kind the pages show (every one of them made by the demo)."""
    from enable.auth.models import Team, User
    from enable.bites.models import Bite
    from enable.calls.models import Call
    from enable.coaching.models import CallScore, Scorecard
    from enable.deals.models import Deal
    from enable.learning.models import Assignment, Certification, CertificationAward, Quiz, QuizAttempt, Track
    from enable.playbooks.models import Asset, Playbook
    from enable.search.models import Playlist

    def first(model, *where):
        return db.session.scalar(select(model.id).where(*where).order_by(model.id).limit(1))

    newhire = db.session.scalar(select(User).where(User.email == DEMO_LOGINS["newhire"]))
    rep = db.session.scalar(select(User).where(User.email == DEMO_LOGINS["rep"]))
    call = first(Call)
    return {
        "bite": first(Bite, Bite.call_id == call), "call": call, "deal": first(Deal, Deal.owner_id == rep.id),
        "playbook": first(Playbook),
        "asset": first(Asset), "playlist": first(Playlist), "track": first(Track), "quiz": first(Quiz),
        "certification": first(Certification), "award": first(CertificationAward, CertificationAward.user_id == rep.id),
        "assignment": first(Assignment, Assignment.user_id == newhire.id),
        "attempt": first(QuizAttempt, QuizAttempt.user_id == newhire.id),
        "team": first(Team), "newhire": newhire.id, "rep": rep.id,
        "score": first(CallScore, CallScore.call_id == call), "scorecard": first(Scorecard),
    }


def serve_demo(tmp_path_factory) -> Iterator[DemoSite]:
    """The demo content on a fresh SQLite database, served by waitress until the generator is closed."""
    tmp = tmp_path_factory.mktemp("demo-site")
    app = create_app(base_config(tmp))
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    for command in (["content", "load"], ["demo", "load"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    with app.app_context():
        ids = _demo_ids()
    with served(app) as url:
        yield DemoSite(url, app, ids)
    with app.app_context():
        db.engine.dispose()


def sign_in(page, base: str, who: str) -> None:
    """Sign a demo login in through the real form."""
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", DEMO_LOGINS[who])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


