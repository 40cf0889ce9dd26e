"""Bite edits and search by meaning, with the real sentence model: after a split the moved sentences lead to the new
bite, after a merge to the bite that stays (never to the id of the bite merged away)."""

from __future__ import annotations

import pytest

from enable.auth.models import Role
from enable.bites import editing
from enable.calls.models import Call
from enable.extensions import db
from enable.search import by_meaning
from tests.bites.test_editing import _bite, bites  # noqa: F401  (bites: the fixture)
from tests.bites.test_meaning import MODEL


@pytest.fixture
def app_config(app_config):
    app_config["EMBEDDING_MODEL"] = MODEL
    return app_config


@pytest.fixture
def meaning(app, bites):  # noqa: F811
    """The call's sentences embedded (as ingest does) and the sentence index built."""
    with app.app_context():
        editing.call_words(db.session.get(Call, bites["call"]))  # embeds the sentences and stores their vectors
        assert by_meaning.rebuild_sentence_index()
    return bites


def _bite_of(sentence: str) -> int:
    """The bite the sentence index gives for the sentence, asked in its own words."""
    near = by_meaning.nearest_moments(sentence)
    assert near, f"nothing found by meaning for {sentence!r}"
    best = max(near, key=lambda n: n.score)
    assert best.text == sentence
    return best.bite_id


def test_after_a_split_the_moved_sentence_leads_to_the_new_bite(app, login, meaning):
    with app.app_context():
        assert _bite_of("Let me show where the cost pays back.") == meaning["middle"]
        at = editing.page_split_points(_bite(meaning["middle"]))[0].first_word
    client = login(Role.MANAGER)
    assert client.post(f"/bites/{meaning['middle']}/split", data={"at_word": str(at)}).status_code == 302
    with app.app_context():
        second = next(b for b in db.session.get(Call, meaning["call"]).bites if b.first_word == at)
        assert _bite_of("Let me show where the cost pays back.") == second.id
        assert _bite_of("Honestly this is too expensive for us.") == meaning["middle"]


def test_after_a_merge_the_merged_sentences_lead_to_the_bite_that_stays(app, login, meaning):
    with app.app_context():
        assert _bite_of("We already use Gong for coaching.") == meaning["last"]
    client = login(Role.MANAGER)
    assert client.post(f"/bites/{meaning['middle']}/merge").status_code == 302
    with app.app_context():
        assert _bite(meaning["last"]) is None
        assert _bite_of("We already use Gong for coaching.") == meaning["middle"]
        ids = {n.bite_id for n in by_meaning.nearest_moments("Many teams switch for the library.") or []}
        assert meaning["last"] not in ids
