"""Fixtures of the playbook tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    """An empty content folder with the starter taxonomy, for playbook files written by a test."""
    folder = tmp_path / "content"
    (folder / "playbooks").mkdir(parents=True)
    shutil.copy(REPO / "content" / "taxonomy.yaml", folder / "taxonomy.yaml")
    return folder
