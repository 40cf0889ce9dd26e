"""A playbook's language: stored (existing rows migrate to "en"), chosen in the form, read from the content files,
marked lang="…" where it differs from the interface, a filter of the list, and part of the API's playbooks."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select, text

from enable import create_app
from enable.api import tokens
from enable.auth.models import Role, User
from enable.extensions import db
from enable.playbooks.models import Playbook, PlaybookVersion
from tests.backup.helpers import migrated_app
from tests.conftest import base_config
from tests.playbooks.factories import make_playbook

RU_BODY = "## Цена\n\nСпросите, с чем клиент сравнивает.\n"


def _open_tag(html: str, pattern: str) -> str:
    """The first start tag matching `pattern` (a regex of its beginning), e.g. r'<article class="playbook"'."""
    found = re.search(pattern + r"[^>]*>", html)
    assert found, f"no {pattern} in the page"
    return found.group(0)


def _versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PlaybookVersion))


def _russian(client) -> None:
    """Switch the interface to Russian, as the language menu does."""
    assert client.post("/language", data={"locale": "ru", "next": "/"}).status_code == 302


# The model and the migration ----------------------------------------------------------------------------------------

def test_playbooks_from_before_the_migration_are_english(tmp_path):
    app = create_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'old.db'}"))
    with app.app_context():
        upgrade(revision="0009_pg_search")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO playbook (slug, title, body, created_at) "
                              "VALUES ('old', 'Written last year', 'Hello.', '2025-01-02 03:04:05')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT slug, language FROM playbook")).all() == [("old", "en")]
        db.engine.dispose()


def test_a_new_playbook_is_in_the_sites_default_language(app):
    with app.app_context():
        assert make_playbook().language == "en"
        assert make_playbook(language="ru").language == "ru"


def test_a_russian_site_writes_russian_playbooks_by_default(tmp_path):
    app = create_app(base_config(tmp_path, BABEL_DEFAULT_LOCALE="ru"))
    with app.app_context():
        db.create_all()
        assert make_playbook().language == "ru"
        db.session.remove()
        db.engine.dispose()


# The form -----------------------------------------------------------------------------------------------------------

def test_the_form_offers_the_interface_languages_and_saves_the_choice(app, users, login):
    client = login(Role.ENABLEMENT)
    form = client.get("/playbooks/new").get_data(as_text=True)
    select_tag = form[form.index('<select id="language"'):form.index("</select>", form.index('<select id="language"'))]
    assert re.findall(r'<option[^>]*value="([^"]+)"', select_tag) == ["en", "ru"]
    assert re.search(r'<option selected value="en">|<option value="en" selected>', select_tag)
    assert ">English</option>" in select_tag and ">Russian</option>" in select_tag

    response = client.post("/playbooks/new", data={"title": "Цена", "stage": "", "language": "ru", "body": RU_BODY})
    assert response.status_code == 302
    playbook_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert db.session.get(Playbook, playbook_id).language == "ru"
    edit = client.get(f"/playbooks/{playbook_id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="ru">|<option value="ru" selected>', edit)

    # Only the language changes: saved, without a new version of the text.
    changed = client.post(f"/playbooks/{playbook_id}/edit", follow_redirects=True,
                          data={"title": "Цена", "stage": "", "language": "en", "body": RU_BODY})
    assert "Saved. Language: English." in changed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Playbook, playbook_id).language == "en"
    assert _versions(app) == 1

    # A language the interface does not offer is refused; the playbook keeps its language.
    refused = client.post(f"/playbooks/{playbook_id}/edit", data={"title": "Цена", "stage": "", "language": "xx",
                                                                  "body": RU_BODY})
    assert refused.status_code == 200 and "Not a valid choice" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Playbook, playbook_id).language == "en"


# The pages ----------------------------------------------------------------------------------------------------------

@pytest.fixture
def two_playbooks(app, users) -> dict[str, int]:
    with app.app_context():
        english = make_playbook(title="Price talk", body="## Price\n\nAsk what they compare it with.\n")
        russian = make_playbook(title="Разговор о цене", body=RU_BODY, language="ru")
        db.session.commit()
        return {"en": english.id, "ru": russian.id}


def test_a_russian_playbook_in_the_english_interface_is_marked_lang_ru(login, two_playbooks):
    rep = login(Role.REP)
    page = rep.get(f"/playbooks/{two_playbooks['ru']}").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert ' lang="ru"' in _open_tag(page, r'<article class="playbook"')
    assert ' lang="ru"' in _open_tag(page, r"<h1")
    english = rep.get(f"/playbooks/{two_playbooks['en']}").get_data(as_text=True)
    assert "lang=" not in _open_tag(english, r'<article class="playbook"')
    assert "lang=" not in _open_tag(english, r"<h1")
    old = rep.get(f"/playbooks/{two_playbooks['ru']}/versions/1").get_data(as_text=True)
    assert ' lang="ru"' in _open_tag(old, r'<article class="playbook"')


def test_in_the_russian_interface_the_english_playbook_is_the_marked_one(login, two_playbooks):
    rep = login(Role.REP)
    _russian(rep)
    russian = rep.get(f"/playbooks/{two_playbooks['ru']}").get_data(as_text=True)
    assert '<html lang="ru">' in russian
    assert "lang=" not in _open_tag(russian, r'<article class="playbook"')
    english = rep.get(f"/playbooks/{two_playbooks['en']}").get_data(as_text=True)
    assert ' lang="en"' in _open_tag(english, r'<article class="playbook"')


def test_the_list_filters_by_language_and_marks_titles(login, two_playbooks):
    rep = login(Role.REP)
    everything = rep.get("/playbooks/").get_data(as_text=True)
    assert "Price talk" in everything and "Разговор о цене" in everything
    assert f'href="/playbooks/{two_playbooks["ru"]}" lang="ru">Разговор о цене</a>' in everything
    assert f'href="/playbooks/{two_playbooks["en"]}">Price talk</a>' in everything
    assert 'href="/playbooks/?language=ru" class="chip">Russian</a>' in everything
    only_ru = rep.get("/playbooks/?language=ru").get_data(as_text=True)
    assert "Разговор о цене" in only_ru and "Price talk" not in only_ru
    assert 'aria-current="page" class="chip">Russian</a>' in only_ru
    assert "Разговор о цене" in rep.get("/playbooks/?language=RU").get_data(as_text=True)  # as a person types it
    only_en = rep.get("/playbooks/?language=en").get_data(as_text=True)
    assert "Price talk" in only_en and "Разговор о цене" not in only_en


# The content files --------------------------------------------------------------------------------------------------

def test_the_starter_russian_playbook_is_loaded_as_russian(app, users, runner):
    result = runner.invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        languages = dict(db.session.execute(select(Playbook.slug, Playbook.language)).all())
    assert languages["negotiation-ru"] == "ru"
    assert {slug: lang for slug, lang in languages.items() if slug != "negotiation-ru"} == {
        slug: "en" for slug in languages if slug != "negotiation-ru"}

    # As after the migration: the row says "en" until the next load reads the file.
    with app.app_context():
        playbook = db.session.scalar(select(Playbook).where(Playbook.slug == "negotiation-ru"))
        playbook.language = "en"
        db.session.commit()
    before = _versions(app)
    result = runner.invoke(args=["content", "load"])
    assert "updated 1 playbooks" in result.output, result.output
    assert _versions(app) == before  # the language is not a new version of the text
    with app.app_context():
        assert db.session.scalar(select(Playbook.language).where(Playbook.slug == "negotiation-ru")) == "ru"


def test_the_loader_reads_language_and_export_writes_it_back(app, users, runner, content_dir, tmp_path):
    folder = content_dir / "playbooks"
    (folder / "precos.md").write_text("---\ntitle: Preços\nlanguage: pt_br\n---\nPergunte o orçamento.\n",
                                      encoding="utf-8")
    (folder / "plain.md").write_text("---\ntitle: Plain\n---\nNo language given.\n", encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content_dir)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert dict(db.session.execute(select(Playbook.slug, Playbook.language)).all()) == {
            "precos": "pt-BR", "plain": "en"}
    assert runner.invoke(args=["content", "export", str(tmp_path / "out")]).exit_code == 0
    assert (tmp_path / "out" / "precos.md").read_text(encoding="utf-8") == (
        "---\nslug: precos\ntitle: Preços\nlanguage: pt-BR\n---\nPergunte o orçamento.\n")
    assert (tmp_path / "out" / "plain.md").read_text(encoding="utf-8") == (  # the default language is left out
        "---\nslug: plain\ntitle: Plain\n---\nNo language given.\n")


def test_a_file_with_a_bad_language_names_its_line(app, runner, content_dir):
    (content_dir / "playbooks" / "bad.md").write_text("---\ntitle: X\nstage: demo\nlanguage: klingon!\n---\nbody\n",
                                                      encoding="utf-8")
    result = runner.invoke(args=["content", "load", str(content_dir)])
    assert result.exit_code != 0
    assert "bad.md:4" in result.output and "'language' should be a language tag" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Playbook)) == 0


# The API ------------------------------------------------------------------------------------------------------------

def test_the_api_returns_the_language_and_filters_by_it(app, users, two_playbooks):
    with app.app_context():
        _token, secret = tokens.create_token(db.session.get(User, users[Role.REP]), name="t",
                                             scope=tokens.TokenScope.READ)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    one = client.get(f"/api/v1/playbooks/{two_playbooks['ru']}", headers=headers).get_json()
    assert one["language"] == "ru" and one["title"] == "Разговор о цене"
    listed = client.get("/api/v1/playbooks", headers=headers).get_json()["data"]
    assert {p["id"]: p["language"] for p in listed} == {two_playbooks["en"]: "en", two_playbooks["ru"]: "ru"}
    only_ru = client.get("/api/v1/playbooks?language=ru", headers=headers).get_json()["data"]
    assert [p["id"] for p in only_ru] == [two_playbooks["ru"]]
    as_typed = client.get("/api/v1/playbooks?language=RU", headers=headers).get_json()["data"]
    assert [p["id"] for p in as_typed] == [two_playbooks["ru"]]
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert "language" in schemas["PlaybookSummary"]["required"] and "language" in schemas["Playbook"]["required"]


# Export and backup --------------------------------------------------------------------------------------------------

def test_export_and_backup_carry_the_language(tmp_path):
    site = migrated_app(base_config(tmp_path / "site"))
    with site.app_context():
        playbook_id = make_playbook(title="Разговор о цене", body=RU_BODY, language="ru").id
        db.session.commit()
    cli = site.test_cli_runner()
    assert cli.invoke(args=["export", str(tmp_path / "export.zip")]).exit_code == 0
    with zipfile.ZipFile(tmp_path / "export.zip") as zf:
        rows = json.loads(zf.read("tables/playbook.json"))["rows"]
    assert [(row["id"], row["language"]) for row in rows] == [(playbook_id, "ru")]
    assert cli.invoke(args=["backup", str(tmp_path / "backup.zip")]).exit_code == 0

    restored = create_app(base_config(tmp_path / "restored"))
    result = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup.zip")])
    assert result.exit_code == 0, result.output
    with restored.app_context():
        assert db.session.get(Playbook, playbook_id).language == "ru"
        db.session.remove()
        db.engine.dispose()
    with site.app_context():
        db.session.remove()
        db.engine.dispose()
