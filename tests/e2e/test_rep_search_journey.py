"""In a real browser: a rep searches "too expensive", narrows to the negotiation stage, and listens; plays all of a
playlist; and on the demo site shares a bite, marks it used on a deal and does the daily review."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.bites.services import replace_bites
from enable.extensions import db
from enable.search.models import Playlist, PlaylistItem
from enable.usage import UsageEvent, UsageKind
from tests.demo_site import sign_in
from tests.factories import PASSWORD
from tests.search.factories import (
    AUDIO,
    index_everything,
    make_bite,
    make_call,
    scripted_dialogue,
    seed_taxonomy,
    transcript_from_lines,
    write_transcript,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    """Shorter bites than the default two minutes, so the price objection's bite starts well into the call."""
    app_config.update(BITE_TARGET_S=30.0, BITE_MIN_S=20.0, BITE_MAX_S=45.0)
    return app_config


@pytest.fixture
def recorded_calls(app, users):
    """The five-minute synthesized dialogue (negotiation) and a short discovery call, both saying "too expensive"."""
    with app.app_context():
        seed_taxonomy()
        dialogue = make_call(media=AUDIO / "sales_dialogue.ogg", title="Northwind negotiation", stage="negotiation",
                             rep_id=users[Role.REP], call_date=date(2026, 4, 2), channels=2)
        write_transcript(dialogue, scripted_dialogue())
        replace_bites(dialogue, scripted_dialogue())
        short = transcript_from_lines([("customer", "If it is too expensive we cannot start this year.", 0.5, 4.0),
                                       ("rep", "Understood, let us first see what your team needs.", 4.5, 8.0)])
        discovery = make_call(media=AUDIO / "short_en.ogg", title="Contoso discovery", stage="discovery",
                              call_date=date(2026, 4, 5))
        write_transcript(discovery, short)
        replace_bites(discovery, short)
        db.session.commit()
        index_everything()
        price_bite = next(b for b in dialogue.bites if "too expensive" in b.text)
        assert price_bite.start_s > 20
        return {"start": price_bite.start_s, "end": price_bite.end_s, "bite": price_bite.id}


MEDIA = "document.querySelector('[data-player] audio')"


def _media_time(page) -> float:
    return page.evaluate(f"{MEDIA}.currentTime")


def _wait_until(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a page expression (wait_for_function evaluates strings, which the CSP forbids)."""
    for _ in range(int(timeout_s * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {timeout_s} s: {expression}")


def test_a_rep_finds_and_plays_how_a_price_objection_was_handled(app, live_server, page, recorded_calls, shot):
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "rep@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/")
    shot(page, "home")

    page.click("nav.mainnav >> text=Search")
    page.fill("input#q", "too expensive")
    with page.expect_navigation():
        page.press("input#q", "Enter")
    results = page.locator(".result-title a")
    assert results.count() == 2
    assert page.locator(".snippet mark").first.inner_text().lower() in ("too", "expensive")
    shot(page, "results")

    with page.expect_navigation():
        page.check("input[name=stage][value=negotiation]")  # search.js submits the filter at once
    assert "stage=negotiation" in page.url
    assert results.count() == 1
    assert "Northwind negotiation" in page.locator(".result").first.inner_text()
    shot(page, "filtered")

    results.first.click()
    page.wait_for_url(f"{live_server}/bites/{recorded_calls['bite']}")
    _wait_until(page, f"{MEDIA}.readyState >= 1")
    start = recorded_calls["start"]
    _wait_until(page, f"Math.abs({MEDIA}.currentTime - {start}) < 1")
    assert _media_time(page) == pytest.approx(start, abs=1.0)
    shot(page, "bite-page")

    page.evaluate(f"() => {{ const m = {MEDIA}; m.muted = true; return m.play(); }}")
    _wait_until(page, f"{MEDIA}.currentTime > {start + 1.0}")
    assert _media_time(page) < recorded_calls["end"]
    # The word being spoken is highlighted as it plays.
    page.wait_for_selector(".transcript .word.is-current")
    shot(page, "playing")

    # Clicking a word plays from that word.
    word = page.locator(".transcript .word", has_text="expensive").first
    word_start = float(word.get_attribute("data-start"))
    word.click()
    _wait_until(page, f"Math.abs({MEDIA}.currentTime - {word_start}) < 1.5")
    shot(page, "seeked")

    # Near the bite's end the player stops by itself.
    end = recorded_calls["end"]
    page.evaluate(f"{MEDIA}.currentTime = {end - 1.0}")
    _wait_until(page, f"{MEDIA}.paused")
    assert _media_time(page) == pytest.approx(end, abs=0.5)
    assert page.locator("[data-player-status]").inner_text().startswith("End of this bite")

    # The seconds listened reached the server (beacons on pause).
    for _ in range(50):
        with app.app_context():
            heard = db.session.scalar(select(func.sum(UsageEvent.seconds)).where(
                UsageEvent.kind == UsageKind.PLAY, UsageEvent.item_id == recorded_calls["bite"]))
        if heard and heard > 1.5:
            break
        page.wait_for_timeout(100)
    assert heard and heard > 1.5


def test_play_all_moves_from_one_bite_to_the_next(app, live_server, page, users, shot):
    with app.app_context():
        call = make_call(media=AUDIO / "short_en.ogg", title="Short call")
        first = make_bite(call, "first part", seq=0, start_s=0.5, end_s=2.0)
        second = make_bite(call, "second part", seq=1, start_s=4.0, end_s=5.5)
        playlist = Playlist(name="Two moments", owner_id=users[Role.REP])
        playlist.items = [PlaylistItem(bite_id=first.id, position=0), PlaylistItem(bite_id=second.id, position=1)]
        db.session.add(playlist)
        db.session.commit()
        playlist_id, first_id, second_id = playlist.id, first.id, second.id
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "rep@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/")

    page.goto(f"{live_server}/search/playlists/{playlist_id}")
    page.click("text=Play all")
    page.wait_for_url(f"{live_server}/search/playlists/{playlist_id}/play")
    _wait_until(page, f"{MEDIA}.readyState >= 1 && Math.abs({MEDIA}.currentTime - 0.5) < 0.3")
    shot(page, "queue")
    page.evaluate(f"() => {{ const m = {MEDIA}; m.muted = true; return m.play(); }}")
    # At the first bite's end the player skips the gap and plays the second one, then stops at its end.
    _wait_until(page, "document.querySelectorAll('[data-queue-item]')[1].classList.contains('is-playing')")
    _wait_until(page, f"!{MEDIA}.paused && {MEDIA}.currentTime > 4.1 && {MEDIA}.currentTime < 5.6")
    _wait_until(page, f"{MEDIA}.paused")
    assert _media_time(page) == pytest.approx(5.5, abs=0.5)
    assert page.locator("[data-player-status]").inner_text() == "End of the playlist."
    shot(page, "finished")
    for _ in range(50):
        with app.app_context():
            plays = dict(db.session.execute(
                select(UsageEvent.item_id, func.sum(UsageEvent.seconds))
                .where(UsageEvent.kind == UsageKind.PLAY).group_by(UsageEvent.item_id)).all())
            playlist_plays = db.session.scalar(select(func.count()).where(UsageEvent.kind == UsageKind.PLAYLIST_PLAY))
        if len(plays) == 2 and playlist_plays == 2:
            break
        page.wait_for_timeout(100)
    assert set(plays) == {first_id, second_id} and all(s > 0.8 for s in plays.values())
    assert playlist_plays == 2


def test_a_rep_plays_shares_marks_used_on_a_deal_and_does_the_daily_review(browser, demo_site, shot):
    """On the demo site: search, play with the keyboard, share the moment, mark the bite used on one of the rep's
    open deals, then work through the daily review until it is done."""
    from enable.deals.models import Deal, DealOutcome

    with demo_site.app.app_context():
        deal = db.session.scalars(select(Deal).where(Deal.owner_id == demo_site.ids["rep"],
                                                     Deal.outcome == DealOutcome.OPEN).order_by(Deal.id)).first()
        deal_id, deal_name = deal.id, deal.name
    base = demo_site.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, "rep")

    page.click("nav.mainnav >> text=Search")
    page.fill("input#q", "price")
    with page.expect_navigation():
        page.press("input#q", "Enter")
    result = page.locator(".result-title a").first
    title = result.inner_text()
    result.click()
    page.wait_for_url(f"{base}/bites/*")
    bite_url = page.url
    _wait_until(page, f"{MEDIA}.readyState >= 1")
    page.evaluate(f"{MEDIA}.muted = true")
    page.keyboard.press("k")
    _wait_until(page, f"{MEDIA}.currentTime > {_media_time(page) + 0.5}")
    page.keyboard.press("k")
    _wait_until(page, f"{MEDIA}.paused")
    shot(page, "playing")

    second = int(_media_time(page))
    page.click("form[data-share] button")
    output = page.locator("[data-share-output]")
    output.wait_for(state="visible")
    assert output.input_value() == f"{bite_url}?t={second}"
    assert page.locator("[data-player-status]").inner_text().startswith(("Link copied", "Copy the link"))
    shot(page, "shared")

    page.click("nav.mainnav >> text=Deals")
    page.click(f"a[href='/deals/{deal_id}']")
    page.wait_for_url(f"{base}/deals/{deal_id}")
    bite_id = bite_url.rsplit("/", 1)[1]
    page.select_option("select#item", f"bite:{bite_id}")
    page.click("button:has-text('Mark as used')")
    assert page.locator(".flash-success", has_text="Marked as used on this deal.").is_visible()
    assert page.locator("h1", has_text=deal_name).is_visible()
    assert page.locator("table tr", has_text=title).is_visible()
    shot(page, "marked-used-on-deal")

    page.click("nav.mainnav >> text=Learning")
    due = int(page.locator("[data-reviews-due]").inner_text())
    page.click("text=Start review")
    page.wait_for_url(f"{base}/learning/review")
    answered = 0
    while page.locator("form.review-card").count() and answered < 20:
        page.locator("form.review-card label.option").first.click()
        with page.expect_navigation():
            page.click("form.review-card button:has-text('Answer')")
        assert page.locator(".review-feedback").is_visible()
        answered += 1
        if answered == 1:
            shot(page, "review-feedback")
    assert answered == due >= 1, "the demo rep has questions due for review"
    assert page.locator("text=Done for today").is_visible()
    shot(page, "review-done")
    context.close()
