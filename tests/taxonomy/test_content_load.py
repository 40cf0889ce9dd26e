"""`flask content load`: idempotent, updates in place, refuses a malformed file with its line, loads nothing then."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from enable.extensions import db
from enable.taxonomy.models import Tag, TagKind, TagPhrase
from tests.conftest import REPO


def _snapshot(app) -> set[tuple]:
    with app.app_context():
        rows = db.session.execute(select(Tag.id, Tag.kind, Tag.key, Tag.names, Tag.position)).all()
        phrases = db.session.execute(select(TagPhrase.id, TagPhrase.tag_id, TagPhrase.language,
                                            TagPhrase.phrase)).all()
        return {tuple(map(str, r)) for r in rows} | {("phrase", *map(str, p)) for p in phrases}


@pytest.fixture
def content(tmp_path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(REPO / "content", folder)
    return folder


def test_starter_taxonomy_has_the_domain_tags(app, runner):
    result = runner.invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        keys = {(t.kind, t.key) for t in db.session.scalars(select(Tag))}
        price = db.session.scalar(select(Tag).where(Tag.kind == TagKind.OBJECTION, Tag.key == "price"))
        phrases = {(p.language, p.phrase) for p in price.phrases}
    stages = {"prospecting", "discovery", "qualification", "demo", "proposal", "negotiation", "closing", "handoff"}
    assert {(TagKind.STAGE, s) for s in stages} <= keys
    assert {(TagKind.PHASE, p) for p in ("before", "during", "after-close")} <= keys
    assert ("en", "too expensive") in phrases and ("ru", "дорого") in phrases and ("ru", "нет бюджета") in phrases
    assert (TagKind.COMPETITOR, "gong") in keys


def test_loading_twice_changes_nothing(app, runner, content):
    assert runner.invoke(args=["content", "load", str(content)]).exit_code == 0
    first = _snapshot(app)
    second_run = runner.invoke(args=["content", "load", str(content)])
    assert second_run.exit_code == 0 and "no changes" in second_run.output
    assert _snapshot(app) == first


def test_an_edit_updates_in_place(app, runner, content):
    runner.invoke(args=["content", "load", str(content)])
    with app.app_context():
        price_id = db.session.scalar(select(Tag.id).where(Tag.key == "price"))
    taxonomy = content / "taxonomy.yaml"
    taxonomy.write_text(taxonomy.read_text(encoding="utf-8").replace(
        "en: [too expensive, no budget,", "en: [too expensive, out of our price range, no budget,"), encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content)])
    assert result.exit_code == 0 and "updated 1 tags" in result.output
    with app.app_context():
        price = db.session.get(Tag, price_id)
        assert "out of our price range" in {p.phrase for p in price.phrases}


def test_broken_yaml_is_refused_with_file_and_line_and_loads_nothing(app, runner, content):
    runner.invoke(args=["content", "load", str(content)])
    before = _snapshot(app)
    taxonomy = content / "taxonomy.yaml"
    lines = taxonomy.read_text(encoding="utf-8").splitlines()
    lines.insert(20, "  - key: [unclosed")
    lines[5] = lines[5] + "  # harmless"
    taxonomy.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content)])
    assert result.exit_code != 0
    assert f"{taxonomy}:2" in result.output  # the line of the problem (21 or 22)
    assert "nothing was loaded" in result.output
    assert _snapshot(app) == before


def test_a_schema_error_names_the_line_and_keeps_the_database_unchanged(app, runner, content):
    taxonomy = content / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    lines = text.splitlines()
    target = next(i for i, line in enumerate(lines) if "key: timing" in line)
    lines[target] = "  - key: Timing Objection!"
    taxonomy.write_text("\n".join(lines), encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content)])
    assert result.exit_code != 0
    assert f"taxonomy.yaml:{target + 1}:" in result.output and "lower-case" in result.output
    with app.app_context():
        assert db.session.scalar(select(Tag).limit(1)) is None  # the good tags before it were not kept


def test_unknown_section_is_refused(runner, content):
    (content / "taxonomy.yaml").write_text("stages:\n  - key: demo\nflavours:\n  - key: x\n", encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content)])
    assert result.exit_code != 0 and "taxonomy.yaml:3: unknown section 'flavours'" in result.output


def test_a_removed_tag_is_removed(app, runner, content):
    runner.invoke(args=["content", "load", str(content)])
    taxonomy = content / "taxonomy.yaml"
    text = taxonomy.read_text(encoding="utf-8")
    start = text.index("  - key: chorus")
    end = text.index("  - key: highspot")
    taxonomy.write_text(text[:start] + text[end:], encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content)])
    assert "removed 1 tags" in result.output
    with app.app_context():
        assert db.session.scalar(select(Tag).where(Tag.key == "chorus")) is None


def test_taxonomy_page_lists_phrases(login, runner):
    runner.invoke(args=["content", "load"])
    from enable.auth.models import Role

    page = login(Role.ENABLEMENT).get("/taxonomy/").get_data(as_text=True)
    assert "Price or budget" in page and "too expensive" in page and "нет бюджета" in page


def test_a_fresh_install_says_in_one_line_what_the_content_waits_for(app, runner, caplog):
    # The starter playbooks name the demo's enablement lead, the tracks and quizzes the sample calls' bites: neither
    # exists before `flask demo load`. That is expected, so it is one line of the summary, not a warning per item.
    with caplog.at_level("INFO"):
        result = runner.invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    assert [r.getMessage() for r in caplog.records if r.levelname in ("WARNING", "INFO")] == []
    waiting = [line for line in result.output.splitlines() if line.startswith("waiting for")]
    assert len(waiting) == 1
    assert "1 accounts (enablement@example.test)" in waiting[0]
    assert "negotiation-price#0" in waiting[0] and "ru-negotiation-price#0" in waiting[0]
    assert "flask demo load" in waiting[0]
