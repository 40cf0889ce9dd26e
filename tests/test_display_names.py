"""Names shown to others keep no bidirectional controls or invisible characters: the rule (properties over any text)
and the places people type names (user, team, playlist, token)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from enable.api.tokens import ApiToken
from enable.auth.models import Role, Team, User
from enable.display_names import JOINERS, clean_name
from enable.extensions import db
from enable.search.models import Playlist

OVERRIDES = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]]
SPOOF = "Ann\u202egnp.exe\u202c \u2066Admin\u2069\u200b"  # shows as "Ann exe.png Admin"-like text to a reader


@given(st.text())
def test_a_cleaned_name_holds_no_invisible_or_reordering_characters(text):
    name = clean_name(text)
    assert not any(ch in OVERRIDES for ch in name)
    assert all(unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp") or ch in JOINERS for ch in name)
    assert name == name.strip() and "  " not in name
    assert clean_name(name) == name


@given(st.text(alphabet=st.characters(blacklist_categories=("Cf", "Cc", "Zl", "Zp", "Zs", "Cs"))))
def test_a_name_without_such_characters_keeps_its_letters(text):
    assert clean_name(text) == unicodedata.normalize("NFC", text)


def test_examples():
    assert clean_name(SPOOF) == "Anngnp.exe Admin"
    assert clean_name("  Мария\tИванова\n") == "Мария Иванова"
    assert clean_name("می\u200cخواهم") == "می\u200cخواهم"  # Persian keeps its zero-width non-joiner
    assert clean_name("\u202e\u2066") == ""


def test_names_typed_on_the_site_are_stored_clean(app, login, users):
    admin = login(Role.ADMIN)
    response = admin.post("/auth/users/new", data={"name": SPOOF, "email": "ann@example.test", "role": "rep",
                                                  "team": "", "new_team": "\u202eSales", "locale": "",
                                                  "password": "longenough1"})
    assert response.status_code == 302
    assert admin.post("/auth/teams", data={"name": "North\u2067 East\u2069", "manager": ""}).status_code == 302
    rep = login(Role.REP)
    assert rep.post("/search/playlists", data={"name": "Price\u202d talk", "description": ""}).status_code == 302
    assert rep.post("/settings/api-tokens", data={"name": "CRM\u2068 sync", "scope": "read"}).status_code == 200
    refused = admin.post("/auth/users/new", data={"name": "\u202e\u200b", "email": "blank@example.test",
                                                 "role": "rep", "team": "", "new_team": "", "locale": "",
                                                 "password": "longenough1"})
    assert refused.status_code == 422 and "A user needs a name" in refused.get_data(as_text=True)
    with app.app_context():
        ann = db.session.scalar(select(User).where(User.email == "ann@example.test"))
        assert ann.name == "Anngnp.exe Admin"
        assert sorted(db.session.scalars(select(Team.name))) == ["North East", "Sales"]
        assert db.session.scalar(select(Playlist.name)) == "Price talk"
        assert db.session.scalar(select(ApiToken.name)) == "CRM sync"
