"""Every test here has a drop folder of its own, which the app watches (DROP_DIRS)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


@pytest.fixture
def app_config(app_config: dict, drop: Path) -> dict:
    app_config.update(DROP_DIRS=str(drop), DROP_STABLE_S=30.0)
    return app_config
