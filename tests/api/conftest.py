"""A seeded site for the API tests (users per role, starter content, a real sample call, an asset, deals) and
API tokens per role and scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from enable import create_app
from enable.api import tokens
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.db import utcnow
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.playbooks import assets as asset_services
from enable.playbooks.models import AssetKind
from enable.starter import load_content
from tests.calls.helpers import ingest_sample
from tests.conftest import REPO, base_config
from tests.factories import make_team, make_user


@dataclass
class World:
    """What the seeded site holds, by id."""

    users: dict[Role, int]
    other_rep: int  # a rep in another team
    call_id: int
    bite_ids: list[int]
    asset_id: int
    deal_ids: dict[str, int]
    team_id: int
    secrets: dict[tuple[Role, str], str] = field(default_factory=dict)


def seed(app) -> World:
    with app.app_context():
        db.create_all()
        team = make_team(name="East")
        users = {role: make_user(role=role, email=f"{role.value}@example.test", name=f"{role.value.title()} User",
                                 team_id=team.id if role in (Role.REP, Role.MANAGER) else None) for role in Role}
        team.manager_id = users[Role.MANAGER].id
        other = make_user(role=Role.REP, email="other@example.test", name="Other Rep")
        load_content(REPO / "content")
        db.session.commit()
        deal = Deal(external_id="CRM-1", name="Acme renewal", outcome=DealOutcome.OPEN, owner_id=users[Role.REP].id)
        other_deal = Deal(external_id="CRM-2", name="Globex", outcome=DealOutcome.WON, owner_id=other.id)
        db.session.add_all([deal, other_deal])
        db.session.commit()
        call_id = ingest_sample("negotiation-price", rep_id=users[Role.REP].id, deal_id=deal.id)
        asset = asset_services.create_asset(title="Pricing battlecard", kind=AssetKind.BATTLECARD, description="",
                                            url="https://example.com/pricing", stored=None, original_filename=None,
                                            tag_ids=[], creator=users[Role.ENABLEMENT], now=utcnow())
        db.session.commit()
        bite_ids = list(db.session.scalars(select(Bite.id).where(Bite.call_id == call_id).order_by(Bite.seq)))
        world = World(users={r: u.id for r, u in users.items()}, other_rep=other.id, call_id=call_id,
                      bite_ids=bite_ids, asset_id=asset.id, deal_ids={"CRM-1": deal.id, "CRM-2": other_deal.id},
                      team_id=team.id)
        for role, user in users.items():
            for scope in tokens.TokenScope:
                _token, secret = tokens.create_token(user, name=f"{role.value} {scope.value}", scope=scope)
                world.secrets[(role, scope.value)] = secret
        db.session.commit()
        return world


@pytest.fixture(scope="module")
def api_app(tmp_path_factory) -> Iterator:
    """One seeded site per test module (the tests below each change only what they create)."""
    tmp: Path = tmp_path_factory.mktemp("api")
    app = create_app(base_config(tmp, JOBS_IMMEDIATE=False, API_RATE_LIMIT="1000/second",
                                  API_AUTH_FAILURE_LIMIT="1000/second"))
    app.extensions["api_world"] = seed(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(api_app) -> World:
    return api_app.extensions["api_world"]


@pytest.fixture
def api(api_app, world):
    """api(role, scope="read-write") -> a test client whose requests carry that user's token."""

    def _client(role: Role, scope: str = "read-write"):
        return TokenClient(api_app.test_client(), world.secrets[(Role(role), scope)])

    return _client


class TokenClient:
    """A test client that sends `Authorization: Bearer <token>` with every request to /api/v1."""

    def __init__(self, client, secret: str) -> None:
        self.client = client
        self.secret = secret

    def open(self, path: str, method: str = "GET", **kwargs):
        headers = {"Authorization": f"Bearer {self.secret}", **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path: str, **kwargs):
        return self.open(path, "POST", **kwargs)

    def delete(self, path: str, **kwargs):
        return self.open(path, "DELETE", **kwargs)


def user_of(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        return user
