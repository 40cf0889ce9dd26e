"""Keyboard only, in a real browser with the site's CSP in force: skip to the search box, search, open a result,
play and pause, move through the transcript and seek the player from a word; captions load for every bite."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable.bites.models import Bite
from enable.extensions import db
from tests.demo_site import sign_in

pytestmark = pytest.mark.browser

MEDIA = "document.querySelector('[data-player] [data-media]')"
FOCUSED = "document.activeElement"


def _wait_until(page, expression: str, timeout_s: float = 10.0) -> None:
    """Poll a page expression (wait_for_function compiles strings, which the CSP forbids)."""
    for _ in range(int(timeout_s * 20)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_s} s: {expression}")


def _tab_to(page, condition: str, limit: int = 60) -> int:
    """Press Tab until the focused element meets condition (a JS expression on `el`); returns the presses."""
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = {FOCUSED}; return !!({condition}); }})()"):
            return n
    raise AssertionError(f"{limit} presses of Tab never reached: {condition}")


def _focus_is_visible(page) -> bool:
    """The focused element draws an outline (the :focus-visible ring) the user can see."""
    return page.evaluate(f"""(() => {{ const s = getComputedStyle({FOCUSED});
        return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }})()""")


@pytest.fixture
def keyboard_page(browser, demo_site):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, demo_site.url, "rep")
    yield page
    context.close()


def test_search_open_play_and_seek_with_the_keyboard_alone(keyboard_page, demo_site, shot):
    page, base = keyboard_page, demo_site.url
    page.goto(f"{base}/search/")
    page.keyboard.press("Tab")
    assert page.evaluate(f"{FOCUSED}.classList.contains('skip-link')")
    assert _focus_is_visible(page) and page.locator("body > .skip-link").is_visible()
    page.keyboard.press("Enter")
    _tab_to(page, "el.id === 'q'", limit=3)
    assert _focus_is_visible(page)
    page.keyboard.type("price")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=price" in page.url
    shot(page, "results")

    # Past the header and the search form, a skip link jumps over the filters to the results.
    _tab_to(page, "el.getAttribute('href') === '#results'", limit=40)
    assert _focus_is_visible(page) and page.locator(".facets .skip-link").is_visible()
    page.keyboard.press("Enter")
    _tab_to(page, "el.closest('.result-title')", limit=2)
    assert _focus_is_visible(page)
    href = page.evaluate(f"{FOCUSED}.getAttribute('href')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(href)
    _wait_until(page, f"{MEDIA}.readyState >= 1")
    page.evaluate(f"{MEDIA}.muted = true")  # the test machine has no speakers; the key presses start playback

    # k plays and pauses wherever the focus is outside a field; so does space on the player's own controls.
    page.keyboard.press("k")
    _wait_until(page, f"!{MEDIA}.paused")
    page.keyboard.press("k")
    _wait_until(page, f"{MEDIA}.paused")
    shot(page, "paused-by-keyboard")

    # Tab reaches the transcript as one stop; arrows move word by word; Enter plays from the focused word.
    _tab_to(page, "el.classList.contains('word')")
    assert _focus_is_visible(page)
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    word = page.evaluate(f"[{FOCUSED}.classList.contains('word'), parseFloat({FOCUSED}.dataset.start)]")
    assert word[0], "the arrows left the transcript"
    before = page.evaluate(f"{MEDIA}.currentTime")
    page.keyboard.press("Enter")
    _wait_until(page, f"Math.abs({MEDIA}.currentTime - {word[1]}) < 1")
    assert abs(page.evaluate(f"{MEDIA}.currentTime") - before) > 0.2
    shot(page, "seeked-from-a-word")

    # Down moves to the next line; Enter there plays from it.
    page.keyboard.press("k")
    _wait_until(page, f"{MEDIA}.paused")
    page.keyboard.press("ArrowDown")
    line_start = page.evaluate(f"parseFloat({FOCUSED}.dataset.start)")
    assert line_start > word[1]
    page.keyboard.press("Enter")
    _wait_until(page, f"Math.abs({MEDIA}.currentTime - {line_start}) < 1")

    # Shift+Tab leaves the transcript in one press, back to the player's controls.
    page.keyboard.press("Shift+Tab")
    assert not page.evaluate(f"{FOCUSED}.classList.contains('word')")


def test_every_bite_and_clip_has_captions_that_load(browser, demo_site):
    with demo_site.app.app_context():
        bite_ids = db.session.scalars(select(Bite.id).order_by(Bite.id)).all()
    assert bite_ids
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    sign_in(page, demo_site.url, "rep")
    for bite_id in bite_ids:
        page.goto(f"{demo_site.url}/bites/{bite_id}")
        track = page.locator("[data-media] track[kind=captions]")
        assert track.count() == 1, f"bite {bite_id} has no captions track"
        response = page.request.get(demo_site.url + track.get_attribute("src"))
        assert response.ok and response.text().startswith("WEBVTT"), f"bite {bite_id}: captions did not load"
        _wait_until(page, f"{MEDIA}.textTracks.length === 1 && {MEDIA}.textTracks[0].cues "
                          f"&& {MEDIA}.textTracks[0].cues.length > 0")
    # Play all: the one player takes the captions of each recording in turn.
    page.goto(f"{demo_site.url}/search/playlists/{demo_site.ids['playlist']}/play")
    _wait_until(page, f"{MEDIA}.querySelectorAll('track[kind=captions]').length === 1 && {MEDIA}.textTracks[0].cues "
                      f"&& {MEDIA}.textTracks[0].cues.length > 0")
    # The clips a quiz plays before a question.
    page.goto(f"{demo_site.url}/learning/quizzes/{demo_site.ids['quiz']}/take")
    clips = page.locator("audio[data-learning-clip]")
    assert clips.count() >= 1, "the demo quiz plays bites"
    assert page.locator("audio[data-learning-clip] track[kind=captions]").count() == clips.count()
    _wait_until(page, "[...document.querySelectorAll('audio[data-learning-clip]')].every("
                      "a => a.textTracks[0] && a.textTracks[0].cues && a.textTracks[0].cues.length > 0)")
    context.close()
