"""Default bite titles say what the moment is about (the tag and the answer), in the call's language; a title set by
enablement is kept; `bites retag` updates the others."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable.auth.models import Role
from enable.bites.models import Bite
from enable.bites.sentences import Sentence
from enable.bites.titles import TitleTag, asks, moment_title
from enable.extensions import db
from tests.calls.helpers import ingest_sample, load_content

SENTENCES = [
    Sentence(0, 5, 0.0, "rep", "Hi, Priya, thanks for joining again."),
    Sentence(6, 12, 3.0, "buyer", "Honestly, this is too expensive for us this year."),
    Sentence(13, 20, 7.0, "rep", "We can phase the rollout over two quarters."),
]


def test_the_title_names_the_objection_and_quotes_the_answer():
    title = moment_title([TitleTag("stage", "Negotiation"), TitleTag("objection", "Price or budget", 4.0)],
                         SENTENCES, "en", "Hi, Priya, thanks for joining again.")
    assert title == "Price or budget: “We can phase the rollout over two quarters”"


def test_without_an_answer_the_title_quotes_the_evidence_and_without_tags_it_is_the_fallback():
    alone = [s for s in SENTENCES if s.speaker == "buyer"]
    assert moment_title([TitleTag("objection", "Price or budget", 4.0)], alone, "en", "x") \
        == "Price or budget: “Honestly, this is too expensive for us this year”"
    assert moment_title([TitleTag("stage", "Negotiation")], SENTENCES, "en", "Hi, Priya, thanks for joining again.") \
        == "Hi, Priya, thanks for joining again."


def test_an_objection_tells_more_than_a_competitor_and_russian_titles_use_russian_quotes():
    sentences = [Sentence(0, 4, 0.0, "buyer", "Это слишком дорого для нас."),
                 Sentence(5, 9, 2.0, "rep", "Можем внедрять поэтапно, по отделам.")]
    tags = [TitleTag("competitor", "Gong", 0.5), TitleTag("objection", "Цена или бюджет", 1.0)]
    assert moment_title(tags, sentences, "ru", "x") == "Цена или бюджет: «Можем внедрять поэтапно, по отделам»"


@pytest.mark.parametrize(("text", "question"), [
    ("Can I ask what number you had in mind?", True),
    ("That makes sense, when the new teams start, who will use it", True),
    ("Спасибо за прямоту, на какую сумму вы рассчитывали", True),
    ("We can phase the rollout over two quarters.", False),
    ("Можем внедрять поэтапно, по отделам.", False),
])
def test_a_question_back_is_told_from_an_answer_even_without_a_question_mark(text, question):
    assert asks(text) is question


@pytest.mark.parametrize("name", ["A" * 150, "Price"])
def test_a_title_stays_short_whatever_it_quotes(name):
    long = [*SENTENCES, Sentence(21, 80, 9.0, "rep", "word " * 60)]
    title = moment_title([TitleTag("objection", name, 8.0)], long, "en", "x")
    assert len(title) <= max(90, len(name) + 30) and title.endswith("”")


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


@pytest.mark.parametrize(("slug", "objection"), [("negotiation-price", "Price or budget"),
                                                 ("ru-negotiation-price", "Цена или бюджет")])
def test_sample_calls_get_titles_that_say_what_each_moment_is_about(app, users, slug, objection):
    with app.app_context():
        load_content()
        call_id = ingest_sample(slug, rep_id=users[Role.REP])
        titles = db.session.scalars(select(Bite.title).where(Bite.call_id == call_id).order_by(Bite.seq)).all()
        assert any(t.startswith(f"{objection}: ") for t in titles), titles
        if slug == "negotiation-price":  # the objection itself, not "Hi, Priya, thanks for joining again."
            assert titles[0].startswith("Price or budget: “To be direct with you at 40,000"), titles


def test_retag_updates_default_titles_and_keeps_those_set_by_hand(app, users, runner):
    with app.app_context():
        load_content()
        call_id = ingest_sample("negotiation-price", rep_id=users[Role.REP])
        bites = db.session.scalars(select(Bite).where(Bite.call_id == call_id).order_by(Bite.seq)).all()
        bites[0].title, bites[0].title_by_hand = "Opening, named by enablement", True
        for bite in bites[1:]:
            bite.title = "Stale first-sentence title"
        db.session.commit()
    result = runner.invoke(args=["bites", "retag"])
    assert result.exit_code == 0, result.output
    assert "titles now say what their moment is about" in result.output
    with app.app_context():
        titles = db.session.scalars(select(Bite.title).where(Bite.call_id == call_id).order_by(Bite.seq)).all()
        assert titles[0] == "Opening, named by enablement"
        assert "Stale first-sentence title" not in titles
