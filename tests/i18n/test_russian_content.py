"""Russian starter content: taxonomy phrases, a playbook, a track with a quiz, loaded by `flask content load`."""

from __future__ import annotations

import json
from datetime import date

import yaml
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.bites.tagging import Tagger, TagPhrase
from enable.extensions import db
from enable.learning import tracks
from enable.learning.models import Assignment, Quiz, StepKind, Track
from enable.playbooks.models import Playbook
from enable.taxonomy.models import Tag, TagKind
from tests.conftest import REPO

TAXONOMY = yaml.safe_load((REPO / "content" / "taxonomy.yaml").read_text(encoding="utf-8"))


def test_every_objection_and_competitor_has_russian_names_and_phrases():
    for group in ("objections", "competitors"):
        for item in TAXONOMY[group]:
            assert item["name"].get("ru"), item["key"]
            assert item["phrases"].get("ru"), item["key"]
            assert all(any("а" <= c <= "я" for c in p.casefold()) for p in item["phrases"]["ru"]), item["key"]


def test_the_russian_playbook_track_and_quiz_load(app, runner, users):
    result = runner.invoke(args=["content", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        playbook = db.session.scalar(select(Playbook).where(Playbook.slug == "negotiation-ru"))
        assert playbook.title.startswith("Переговоры о цене") and playbook.stage == "negotiation"
        assert "## Когда клиент говорит «дорого»" in playbook.body and "bite:ru-negotiation-price#0" in playbook.body
        track = db.session.scalar(select(Track).where(Track.slug == "pervaya-nedelya"))
        assert track.title.startswith("Первая неделя") and track.is_default and track.language == "ru"
        assert [s.kind for s in track.steps] == [StepKind.PLAYBOOK, StepKind.BITE, StepKind.BITE, StepKind.QUIZ,
                                                 StepKind.SIGNOFF]
        assert [s.ref for s in track.steps if s.kind == StepKind.BITE] == [
            "ru-discovery-competitor#0", "ru-negotiation-price#0"]
        assert all(s.is_resolved for s in track.steps if s.kind != StepKind.BITE)  # the playbook and quiz exist
        quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "vozrazheniya"))
        assert quiz.title == "Возражения о цене и конкурентах" and len(quiz.questions) >= 6
        assert any("слишком дорого" in q.prompt for q in quiz.questions)
        defaults = {t.language: t.slug for t in db.session.scalars(select(Track).where(Track.is_default.is_(True)))}
        assert defaults == {"en": "first-30-days", "ru": "pervaya-nedelya"}  # one default track per language
        gong = db.session.scalar(select(Tag).where(Tag.kind == TagKind.COMPETITOR, Tag.key == "gong"))
        assert ("ru", "Гонг") in {(p.language, p.phrase) for p in gong.phrases}


def test_a_new_hire_gets_the_default_track_of_their_language(app, runner, login):
    assert runner.invoke(args=["content", "load"]).exit_code == 0
    hired = date.today().isoformat()
    for email, locale in (("olga@example.test", "ru"), ("nick@example.test", "en"), ("nobody@example.test", "")):
        response = login(Role.ADMIN).post("/auth/users/new", data={
            "name": email.split("@")[0].title(), "email": email, "role": "rep", "locale": locale,
            "password": "longenough1", "hired_on": hired})
        assert response.status_code == 302, (email, response.status_code)
    with app.app_context():
        given = {u.email: a.track.slug for a, u in db.session.execute(
            select(Assignment, User).join(User, User.id == Assignment.user_id))}
    # Russian speakers get the Russian track; English and unset the site's (English) default.
    assert given == {"olga@example.test": "pervaya-nedelya", "nick@example.test": "first-30-days",
                     "nobody@example.test": "first-30-days"}
    with app.app_context():
        assert tracks.default_track("de").slug == "first-30-days"  # no German track: the site's default


def test_russian_tagging_finds_the_russian_objection_phrases_in_the_russian_samples(app):
    """The tagger built from the taxonomy's Russian phrases, run on the shipped Russian transcripts."""
    from enable.calls.samples import SAMPLES_DIR
    from enable.transcription.types import Transcript

    specs = [TagPhrase(tag_key=item["key"], kind="objection", language="ru", phrase=phrase)
             for item in TAXONOMY["objections"] for phrase in item["phrases"]["ru"]]
    tagger = Tagger(specs)
    expected_tags = {"ru-negotiation-price": {"price"}, "ru-discovery-competitor": {"competitor", "timing"}}
    for slug, expected in expected_tags.items():
        transcript = Transcript.from_dict(json.loads((SAMPLES_DIR / f"{slug}.json").read_text(encoding="utf-8")))
        hits = tagger.tag(list(transcript.words()))
        assert {h.tag_key for h in hits} == expected, (slug, hits)
        assert all(h.kind == "objection" and any("а" <= c <= "я" for c in h.phrase) for h in hits)
