"""The search page, the library page, the home panel and `flask search query`, over a real Whoosh index."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.search.indexing import get_index
from enable.search.models import SearchLog
from tests.search.factories import index_everything, make_bite, make_call, seed_taxonomy, tag

PRICE_TEXT = "Honestly this is too expensive for us, we have no budget left this year."
SCATTERED_TEXT = "The expensive part is onboarding, and the rollout takes too long for our team."
RUSSIAN_TEXT = "Цена слишком высокая для нас, это дорого."
# Arabic yeh and kaf ("يك"), and "می‌خواهیم" typed with a zero-width non-joiner.
PERSIAN_TEXT = "ما يك نسخه آزمایشی می\u200cخواهیم"
HOSTILE_TEXT = "<script>alert('x')</script> the contract terms are fine"


@pytest.fixture
def library(app, users):
    """Five bites on four calls that differ in every facet; returns their ids by name."""
    with app.app_context():
        seed_taxonomy()
        rep, manager = db.session.get(User, users[Role.REP]), db.session.get(User, users[Role.MANAGER])
        won = Deal(external_id="D-1", name="Northwind renewal", outcome=DealOutcome.WON)
        lost = Deal(external_id="D-2", name="Contoso pilot", outcome=DealOutcome.LOST)
        db.session.add_all([won, lost])
        db.session.flush()
        northwind = make_call(title="Northwind renewal call", rep_id=rep.id, deal_id=won.id,
                              call_date=date(2026, 1, 10))
        contoso = make_call(title="Contoso discovery call", rep_id=manager.id, deal_id=lost.id,
                            call_date=date(2026, 2, 20))
        russian = make_call(title="Звонок с Ромашкой", rep_id=rep.id, call_date=date(2026, 3, 5), language="ru",
                            detected_language="ru")
        persian = make_call(title="تماس با مشتری", rep_id=rep.id, call_date=date(2026, 3, 6), language="fa",
                            detected_language="fa")
        ids = {
            "price": make_bite(northwind, PRICE_TEXT, start_s=10, end_s=70, tags=[
                (tag("objection", "price"), "too expensive", 12.5), tag("stage", "negotiation"), tag("phase", "during"),
                tag("persona", "economic-buyer")]).id,
            "hostile": make_bite(northwind, HOSTILE_TEXT, start_s=70, end_s=130, tags=[
                tag("objection", "contract"), tag("stage", "negotiation")]).id,
            "scattered": make_bite(contoso, SCATTERED_TEXT, tags=[
                tag("objection", "timing"), tag("stage", "discovery"), tag("competitor", "gong"),
                tag("phase", "before")]).id,
            "russian": make_bite(russian, RUSSIAN_TEXT, tags=[
                (tag("objection", "price"), "дорого", 4.0), tag("stage", "negotiation")]).id,
            "persian": make_bite(persian, PERSIAN_TEXT, tags=[tag("stage", "discovery")]).id,
        }
        db.session.commit()
        index_everything()
        return ids


RESULT = re.compile(r'class="result-title"><a href="/bites/(\d+)"')


def result_ids(html: str) -> list[int]:
    return [int(i) for i in RESULT.findall(html)]


def search(client, **args) -> str:
    response = client.get("/search/", query_string=args)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_quoted_phrase_finds_the_bite_holding_it_and_no_other(login, library):
    client = login(Role.REP)
    assert result_ids(search(client, q='"too expensive"')) == [library["price"]]
    # Plain words find both bites holding them, the exact phrase first.
    assert result_ids(search(client, q="too expensive")) == [library["price"], library["scattered"]]


@pytest.mark.parametrize(("args", "expected"), [
    ({"objection": "price"}, {"price", "russian"}),
    ({"stage": "negotiation"}, {"price", "hostile", "russian"}),
    ({"phase": "before"}, {"scattered"}),
    ({"competitor": "gong"}, {"scattered"}),
    ({"persona": "economic-buyer"}, {"price"}),
    ({"rep": "Manager User"}, {"scattered"}),
    ({"outcome": "won"}, {"price", "hostile"}),
    ({"outcome": "lost"}, {"scattered"}),
    ({"outcome": "none"}, {"russian", "persian"}),
    ({"language": "ru"}, {"russian"}),
    ({"from": "2026-02-01", "to": "2026-03-05"}, {"scattered", "russian"}),
    ({"objection": ["price", "timing"], "stage": "negotiation"}, {"price", "russian"}),
])
def test_each_facet_filters(login, library, args, expected):
    html = search(login(Role.REP), **args)
    assert set(result_ids(html)) == {library[name] for name in expected}


def test_facets_show_display_names_and_counts(login, library):
    html = search(login(Role.REP), stage="negotiation")
    # The ticked value stays listed, and the other stages still show how many bites they would add.
    assert re.search(r'value="negotiation"[^>]*checked[^<]*>\s*Negotiation <span class="count">3</span>', html)
    assert re.search(r'value="discovery"[^>]*>\s*Discovery <span class="count">2</span>', html)
    assert re.search(r'value="price"[^>]*>\s*Price or budget <span class="count">2</span>', html)
    assert re.search(r'value="won"[^>]*>\s*Won <span class="count">2</span>', html)
    assert "Russian" in html and "Manager User" not in html.split('name="rep"', 1)[0]


def test_results_show_call_rep_date_tags_outcome_and_highlighted_snippet(login, library):
    html = search(login(Role.REP), q="expensive", objection="price", language="en")
    assert result_ids(html) == [library["price"]]
    assert "Northwind renewal call" in html and "Rep User" in html and "Jan 10, 2026" in html
    assert "Deal: Won" in html and 'chip chip-objection">Price or budget<' in html
    snippet = re.search(r'<p class="snippet" dir="auto"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "this is too <mark>expensive</mark> for us" in snippet
    assert snippet.count("<mark>") == 1


def test_result_chips_are_the_tags_a_bite_carries_in_kind_order(app, login, library):
    with app.app_context():
        bite = db.session.get(Bite, library["scattered"])
        next(bt for bt in bite.tags if bt.tag.key == "gong").is_removed = True  # taken off by hand
        db.session.commit()
    html = search(login(Role.REP), q="onboarding")
    assert result_ids(html) == [library["scattered"]]
    chips = re.findall(r'<span class="chip chip-(\w+)">', html.split('class="tags"', 1)[1].split("</p>", 1)[0])
    assert chips == ["stage", "phase", "objection"]  # no competitor: its only tag was removed


def test_a_script_in_a_transcript_is_shown_as_text(login, library):
    html = search(login(Role.REP), q="contract terms")
    assert result_ids(html) == [library["hostile"]]
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html


def test_english_and_russian_stemming(login, library):
    client = login(Role.REP)
    assert result_ids(search(client, q="budgets")) == [library["price"]]
    assert result_ids(search(client, q="цены")) == [library["russian"]]  # "цены" finds "Цена"


def test_persian_text_is_found_after_normalisation(login, library):
    client = login(Role.REP)
    assert result_ids(search(client, q="یک")) == [library["persian"]]  # Persian yeh and keheh find Arabic forms
    assert result_ids(search(client, q="میخواهیم")) == [library["persian"]]  # typed without the ZWNJ


def test_a_misspelled_word_gets_a_suggestion(login, library):
    html = search(login(Role.REP), q="expensiv")
    assert result_ids(html) == []
    match = re.search(r'Did you mean <a href="([^"]+)" data-suggestion>([^<]+)</a>', html)
    assert match and match.group(2) == "expensive"
    assert result_ids(search(login(Role.REP), q="expensive")) == [library["price"], library["scattered"]]


def test_an_unreadable_query_gets_a_message_not_an_error(login, library):
    client = login(Role.REP)
    for broken in ('"too expensive', "price AND", "(budget", "nosuchfield:x"):
        html = search(client, q=broken)
        assert 'class="flash" role="status"' in html, broken
    assert library["price"] in result_ids(search(client, q='"too expensive'))


def test_no_results_suggest_dropping_a_filter(login, library):
    html = search(login(Role.REP), q="budget", stage="discovery", outcome="won")
    assert result_ids(html) == []
    drops = dict(re.findall(r'<a href="([^"]+)" data-drop>without ([^<]+)</a>', html))
    assert set(drops.values()) == {"Stage: Discovery"}
    url = next(iter(drops))
    assert "outcome=won" in url and "stage=" not in url
    assert "(1 bite)" in html


def test_every_search_is_logged_with_its_result_count(app, login, library, users):
    client = login(Role.REP)
    search(client, q="too expensive", stage="negotiation")
    search(client, q="nothing like this")
    search(client, q="too expensive", page="2")  # paging through is the same search
    search(client)  # the empty page is not a search
    with app.app_context():
        logs = db.session.scalars(select(SearchLog).order_by(SearchLog.id)).all()
        assert [(entry.query, entry.filters, entry.result_count, entry.user_id) for entry in logs] == [
            ("too expensive", {"stage": ["negotiation"]}, 1, users[Role.REP]),
            ("nothing like this", {}, 0, users[Role.REP]),
        ]
        assert logs[0].created_at is not None


def test_sort_by_date_and_best_examples_first(app, login, library):
    client = login(Role.REP)
    newest_first = result_ids(search(client, stage="negotiation", sort="date"))
    assert newest_first[0] == library["russian"]
    with app.app_context():
        db.session.get(Bite, library["hostile"]).is_best = True
        db.session.commit()
        index_everything()
    assert result_ids(search(client, stage="negotiation", sort="date"))[0] == library["hostile"]
    assert result_ids(search(client, q="expensive"))[0] == library["price"]  # not best: relevance still rules


def test_paging(login, library, app):
    with app.app_context():
        call = make_call(title="Long call")
        for n in range(25):
            make_bite(call, f"pricing question number {n}", seq=n)
        db.session.commit()
        index_everything()
    client = login(Role.REP)
    first, second = search(client, q="pricing question"), search(client, q="pricing question", page="2")
    assert len(result_ids(first)) == 20 and len(result_ids(second)) == 5
    assert not set(result_ids(first)) & set(result_ids(second))
    assert "Page 1 of 2" in first and 'rel="next"' in first


def test_library_lists_stages_and_objections_with_counts(login, library):
    html = login(Role.REP).get("/search/browse").get_data(as_text=True)
    assert re.search(r'href="/search/\?stage=negotiation" data-shelf="stage:negotiation">Negotiation</a>\s*'
                     r'<span class="count">3 bites</span>', html)
    assert re.search(r'href="/search/\?objection=price"[^>]*>Price or budget</a>\s*<span class="count">2 bites', html)
    assert re.search(r'>Prospecting</a>\s*<span class="count">0 bites', html)  # every stage is listed


def test_home_shows_a_search_box_and_best_examples(app, login, library):
    with app.app_context():
        db.session.get(Bite, library["price"]).is_best = True
        db.session.commit()
    html = login(Role.REP).get("/").get_data(as_text=True)
    assert 'action="/search/"' in html and "Best examples" in html
    assert f'href="/bites/{library["price"]}"' in html


def test_navigation_has_search_and_library(login, library):
    html = login(Role.REP).get("/search/").get_data(as_text=True)
    nav = html.split('class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert ">Search<" in nav and ">Library<" in nav


def test_cli_search_query(app, library, runner):
    result = runner.invoke(args=["search", "query", "too expensive", "--stage", "negotiation"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"bite {library['price']}") and "10.0-70.0 s" in first
    assert "objection:price" in result.output and "too expensive for us" in result.output
    assert "<mark>" not in result.output

    as_json = runner.invoke(args=["search", "query", "дорого", "--objection", "price", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["total"] == 1
    hit = data["hits"][0]
    assert hit["bite_id"] == library["russian"] and hit["start_s"] == 0.0 and "objection:price" in hit["tags"]
    assert "<mark>дорого</mark>" in hit["snippet_html"]

    none = runner.invoke(args=["search", "query", "zzzz"])
    assert none.exit_code == 0 and "no bites match" in none.output.lower()


def test_an_unreadable_index_gives_a_clear_message(app, login, library):
    index_dir = app.config["INDEX_DIR"]
    with app.app_context():
        get_index().close()
    for path in index_dir.iterdir():
        if path.suffix == ".seg":
            path.write_bytes(b"garbage")
    app.extensions.pop("search", None)
    response = login(Role.REP).get("/search/?q=price")
    assert response.status_code == 503
    assert "flask search rebuild" in response.get_data(as_text=True)
