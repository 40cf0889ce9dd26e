"""Russian everywhere: every message of the interface has a Russian translation, and Russian pages show no English.

The catalog check extracts the messages from the source as `make translations-update` does (babel.cfg, keyword
`_l`) and reads enable/translations/ru/LC_MESSAGES/messages.po: a message missing there, empty or fuzzy is
untranslated. The page check signs in as an admin who chose Russian and looks for any interface message left in
English in the text and labels of the home, search and bite pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from enable.auth.models import Role
from enable.extensions import db
from tests.calls.helpers import load_content
from tests.conftest import REPO

PO_FILE = REPO / "enable" / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}  # as `pybabel extract -k _l` in the Makefile


def extracted_messages() -> dict[str, list[str]]:
    """Every translatable message in the source: msgid (the singular for plurals) -> where it is used."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        msgid = message[0] if isinstance(message, tuple | list) else message
        if msgid:
            found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def russian_catalog() -> Catalog:
    with PO_FILE.open("rb") as po:
        return read_po(po, locale="ru")


def untranslated(found: dict[str, list[str]], catalog: Catalog) -> list[str]:
    """The extracted msgids with no usable Russian translation, each with its first place of use."""
    missing = []
    for msgid, places in sorted(found.items()):
        entry = catalog.get(msgid)
        strings = [] if entry is None else list(entry.string) if isinstance(entry.string, tuple) else [entry.string]
        if entry is None:
            reason = "not in the catalog"
        elif entry.fuzzy:
            reason = "fuzzy"
        elif not strings or not all(strings):
            reason = "empty"
        else:
            continue
        missing.append(f"{msgid!r} ({reason}; {places[0]})")
    return missing


def test_the_extraction_finds_the_interface_messages():
    found = extracted_messages()
    # templates (jinja2 extractor), Python views (_), lazy form labels (_l) and plurals (ngettext)
    assert "Sign in to Enable" in found
    assert any(place.startswith("enable/auth/forms.py") for places in found.values() for place in places)
    assert "question to review today" in found
    assert len(found) > 300


def test_every_interface_message_has_a_russian_translation():
    missing = untranslated(extracted_messages(), russian_catalog())
    assert not missing, f"{len(missing)} messages lack a Russian translation (make translations-update, then " \
                        "translate them in enable/translations/ru/LC_MESSAGES/messages.po):\n" + "\n".join(missing)


def test_the_check_catches_a_missing_a_fuzzy_and_an_empty_translation():
    catalog = Catalog(locale="ru")
    catalog.add("Search", "Поиск")
    catalog.add("Playlists", "Плейлисты", flags=["fuzzy"])
    catalog.add("Reports", "")
    catalog.add(("%(num)d bite", "%(num)d bites"), ("%(num)d фрагмент", "%(num)d фрагмента", ""))
    found = {m: ["x.html:1"] for m in ("Search", "Playlists", "Reports", "Deals", "%(num)d bite")}
    assert [m.split(" (")[0] for m in untranslated(found, catalog)] == [
        "'%(num)d bite'", "'Deals'", "'Playlists'", "'Reports'"]


# Pages -------------------------------------------------------------------------------------------------------------


class _Texts(HTMLParser):
    """The visible text nodes and the human-readable attributes (labels, placeholders, titles) of a page."""

    ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        self.texts.extend(v.strip() for k, v in attrs if k in self.ATTRIBUTES and v and v.strip())
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.texts.extend(v.strip() for k, v in attrs if k == "value" and v and v.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def page_texts(html: str) -> Iterator[str]:
    parser = _Texts()
    parser.feed(html)
    return iter(parser.texts)


def english_left(html: str, messages: set[str]) -> list[str]:
    """Texts of the page that are, word for word, an interface message in English."""
    return sorted({text for text in page_texts(html) if text in messages})


@pytest.fixture(scope="module")
def english_messages() -> set[str]:
    """Interface messages without placeholders whose Russian translation differs (names like "Enable" stay)."""
    catalog = russian_catalog()
    same = {m.id for m in catalog if m.id and isinstance(m.id, str) and m.string == m.id}
    return {m for m in extracted_messages() if "%(" not in m and "{" not in m and m not in same
            and any(c.isalpha() for c in m) and len(m) > 1}


@pytest.fixture
def russian_admin(app, login):
    """An admin who chose Russian, with the Russian sample call ingested (one bite at least)."""
    import json

    from enable import pipeline
    from enable.calls import services as calls
    from enable.calls.samples import SAMPLES_DIR
    from enable.transcription.types import Transcript

    with app.app_context():
        load_content()
        result = calls.accept_file(SAMPLES_DIR / "ru-negotiation-price.ogg", calls.CallDetails(
            title="ООО «Ромашка»", stage="negotiation", language="ru", call_date=date(2026, 5, 4)))
        db.session.commit()
        transcript = json.loads((SAMPLES_DIR / "ru-negotiation-price.json").read_text(encoding="utf-8"))
        call = pipeline.ingest_call(result.call.id, transcript=Transcript.from_dict(transcript))
        bite_id = call.bites[0].id
    client = login(Role.ADMIN)
    assert client.post("/auth/settings", data={"locale": "ru"}).status_code in (200, 302)
    return client, bite_id


def test_the_page_check_sees_english_text_and_labels():
    html = '<nav><a href="/">Поиск</a> <a href="/p" title="Playlists">Плейлисты</a></nav><p>Reports</p>' \
           '<script>var s = "Search";</script>'
    assert english_left(html, {"Search", "Playlists", "Reports"}) == ["Playlists", "Reports"]


def test_russian_home_search_and_bite_pages_show_no_english_interface_text(russian_admin, english_messages):
    client, bite_id = russian_admin
    pages = {"/": "Enable", "/search/?q=дорого": f"/bites/{bite_id}", f"/bites/{bite_id}": "слишком дорого"}
    left = {}
    for url, expected in pages.items():
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and 'lang="ru"' in html and expected in html, url
        if english := english_left(html, english_messages):
            left[url] = english
    catalog = russian_catalog()
    shown = {t for texts in left.values() for t in texts}
    frozen = sorted(t for t in shown if (entry := catalog.get(t)) is not None and entry.string)
    assert not left, (f"English interface text on Russian pages: {left}. Of these, translated in the catalog but shown "
                      f"in English (translated at import time instead of lazily?): {frozen}")
