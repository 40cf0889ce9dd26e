"""Factories for playbook tests: plain functions that add and flush; the test commits."""

from __future__ import annotations

import hashlib
import itertools
from datetime import datetime
from typing import Any

from enable.bites.models import Bite
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.extensions import db
from enable.playbooks import assets as asset_services
from enable.playbooks import services as playbooks
from enable.playbooks.models import Asset, AssetKind, Playbook

_seq = itertools.count(1)


def make_playbook(body: str = "## Intro\n\nHello.\n", now: datetime | None = None, editor: Any = None,
                  **overrides: Any) -> Playbook:
    n = next(_seq)
    playbook = playbooks.create_playbook(title=overrides.pop("title", f"Playbook {n}"), body=body,
                                         stage=overrides.pop("stage", None), editor=editor, now=now or utcnow(),
                                         slug=overrides.pop("slug", f"playbook-{n}"))
    for key, value in overrides.items():
        setattr(playbook, key, value)
    db.session.flush()
    return playbook


def make_link_asset(url: str, creator: Any, now: datetime | None = None, description: str = "",
                    **overrides: Any) -> Asset:
    asset = asset_services.create_asset(title=overrides.pop("title", f"Asset {next(_seq)}"), kind=AssetKind.BATTLECARD,
                                        description=description, url=url, stored=None, original_filename=None,
                                        tag_ids=[], creator=creator, now=now or utcnow())
    for key, value in overrides.items():
        setattr(asset, key, value)
    db.session.flush()
    return asset


def make_bite(now: datetime | None = None, **overrides: Any) -> Bite:
    """A ready call of one bite (no media file: the tests here never play it)."""
    n = next(_seq)
    call = Call(title=f"Call {n}", status=CallStatus.READY, sha256=hashlib.sha256(f"call-{n}".encode()).hexdigest(),
                media_path=f"{n}.ogg", original_filename=f"{n}.ogg", duration_s=150.0)
    db.session.add(call)
    db.session.flush()
    bite = Bite(call_id=call.id, seq=0, start_s=10.0, end_s=130.0, first_word=0, last_word=10,
                title=overrides.pop("title", f"Bite {n}"), text="we already use another vendor",
                created_at=now or utcnow(), **overrides)
    db.session.add(bite)
    db.session.flush()
    return bite
