"""Fixtures of the webhook tests: a real receiver on loopback, and an app that may send to it
(WEBHOOK_ALLOW_PRIVATE: loopback is a private address, refused by default)."""

from __future__ import annotations

import pytest

from tests.conftest import base_config
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def app_config(tmp_path) -> dict:
    """The usual test settings, plus WEBHOOK_ALLOW_PRIVATE: the receiver is on 127.0.0.1."""
    return base_config(tmp_path, WEBHOOK_ALLOW_PRIVATE=True)
