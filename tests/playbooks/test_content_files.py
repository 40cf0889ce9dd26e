"""Playbook files: content folder -> database -> files is lossless; loading is idempotent; bad files say where."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.extensions import db
from enable.playbooks.frontmatter import parse_playbook
from enable.playbooks.models import Playbook, PlaybookVersion
from tests.conftest import REPO

STARTER = REPO / "content" / "playbooks"

HANDWRITTEN = """---
slug: objection-handling-ru
title: 'Возражения: цена и сроки'
stage: negotiation
owner: enablement@example.test
verifier: manager@example.test
review_interval_days: 45
---
## Цена

Клиент говорит «дорого» — спросите, с чем он сравнивает.

- Trailing spaces stay:{TRAILING}
- A [link](https://example.com/x "title") and a bite: [clip](bite:negotiation-price#0)

```
code block with --- inside
---
```
""".replace("{TRAILING}", "   ")


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PlaybookVersion))


def test_starter_playbooks_cover_the_main_stages_and_link_a_sample_bite():
    files = {path.stem: parse_playbook(path.read_text(encoding="utf-8"), path) for path in STARTER.glob("*.md")}
    assert {"discovery", "demo", "negotiation", "closing"} <= set(files)
    assert {f.stage for f in files.values()} >= {"discovery", "demo", "negotiation", "closing"}
    assert all(f.owner and f.review_interval_days for f in files.values())
    assert any("](bite:negotiation-price#0)" in f.body for f in files.values())


def test_starter_files_round_trip_byte_for_byte(app, users, runner, tmp_path):
    result = runner.invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    assert "created 6 playbooks" in result.output
    out = tmp_path / "exported"
    result = runner.invoke(args=["content", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 6 playbooks" in result.output
    for original in sorted(STARTER.glob("*.md")):
        assert (out / original.name).read_bytes() == original.read_bytes(), original.name
    with app.app_context():
        closing = db.session.scalar(select(Playbook).where(Playbook.slug == "closing"))
        assert closing.owner.email == "enablement@example.test" and closing.review_interval_days == 90


def test_a_handwritten_file_survives_file_db_file(app, users, runner, content_dir, tmp_path):
    (content_dir / "playbooks" / "objection-handling-ru.md").write_text(HANDWRITTEN, encoding="utf-8")
    assert runner.invoke(args=["content", "load", str(content_dir)]).exit_code == 0
    with app.app_context():
        playbook = db.session.scalar(select(Playbook).where(Playbook.slug == "objection-handling-ru"))
        assert playbook.verifier.email == "manager@example.test" and playbook.review_interval_days == 45
        assert playbook.owner_id == users[Role.ENABLEMENT]
    assert runner.invoke(args=["content", "export", str(tmp_path / "out")]).exit_code == 0
    assert (tmp_path / "out" / "objection-handling-ru.md").read_text(encoding="utf-8") == HANDWRITTEN


def test_a_sloppy_file_is_normalised_once_then_stable(app, users, runner, content_dir, tmp_path):
    sloppy = "---\r\nreview_interval_days: 30\r\ntitle: Demo tips\r\n---\r\nShow their day.\r\n\r\n\r\n"
    (content_dir / "playbooks" / "demo-tips.md").write_bytes(sloppy.encode())
    assert runner.invoke(args=["content", "load", str(content_dir)]).exit_code == 0
    runner.invoke(args=["content", "export", str(tmp_path / "a")])
    normalised = (tmp_path / "a" / "demo-tips.md").read_text(encoding="utf-8")
    assert normalised == "---\nslug: demo-tips\ntitle: Demo tips\nreview_interval_days: 30\n---\nShow their day.\n"
    (content_dir / "playbooks" / "demo-tips.md").write_text(normalised, encoding="utf-8")
    before = _versions(app)
    result = runner.invoke(args=["content", "load", str(content_dir)])
    assert "no changes" in result.output and _versions(app) == before
    runner.invoke(args=["content", "export", str(tmp_path / "b")])
    assert (tmp_path / "b" / "demo-tips.md").read_text(encoding="utf-8") == normalised


def test_loading_twice_changes_nothing_and_an_edit_makes_one_version(app, users, runner, content_dir):
    path = content_dir / "playbooks" / "pricing.md"
    path.write_text("---\nslug: pricing\ntitle: Pricing\nstage: negotiation\n---\nOld price list.\n", encoding="utf-8")
    runner.invoke(args=["content", "load", str(content_dir)])
    assert runner.invoke(args=["content", "load", str(content_dir)]).output.endswith("no changes\n")
    assert _versions(app) == 1
    path.write_text("---\nslug: pricing\ntitle: Pricing\nstage: negotiation\n---\nNew price list.\n", encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content_dir)])
    assert "updated 1 playbooks" in result.output
    with app.app_context():
        latest = db.session.scalar(select(PlaybookVersion).order_by(PlaybookVersion.number.desc()))
        assert (latest.number, latest.body, latest.note, latest.editor_id) == (2, "New price list.\n", "content load",
                                                                               None)


@pytest.mark.parametrize(("text", "where", "reason"), [
    ("---\ntitle: X\ncolour: red\n---\nbody\n", ":3:", "unknown key 'colour'"),
    ("---\nstage: demo\n---\nbody\n", ":2:", "'title' is missing"),
    ("---\ntitle: X\nreview_interval_days: soon\n---\nbody\n", ":3:", "review_interval_days"),
    ("---\ntitle: [unclosed\n---\nbody\n", ":3:", ""),
    ("title: X\n\nbody\n", ":1:", "starts with a '---' line"),
    ("---\ntitle: X\nstage: lunch\n---\nbody\n", "bad.md", "unknown stage 'lunch'"),
])
def test_a_malformed_file_is_reported_with_its_line_and_nothing_is_loaded(app, runner, content_dir, text, where,
                                                                          reason):
    (content_dir / "playbooks" / "a-good.md").write_text("---\ntitle: Good\n---\nfine\n", encoding="utf-8")
    (content_dir / "playbooks" / "bad.md").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content_dir)])
    assert result.exit_code != 0
    assert "nothing was loaded" in result.output and "bad.md" in result.output
    assert where in result.output and reason in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Playbook)) == 0
