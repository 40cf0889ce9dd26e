"""In a real browser, with CSRF on: enablement trims a bite on its page, in English and in Russian, and the player
then plays exactly the new edges (it opens at the new start and stops at the new end)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable.auth.models import User
from enable.extensions import db
from tests.bites.test_editing import bites  # noqa: F401  (the fixture: a call with audio and three bites)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

MEDIA = "document.querySelector('[data-media]')"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _wait_until(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a page expression (wait_for_function compiles strings, which the CSP forbids)."""
    for _ in range(int(timeout_s * 20)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_s} s: {expression}")


WORDS = {"en": ("Trim", "Trimmed to the nearest word boundaries."),
         "ru": ("Обрезать", "Обрезано по ближайшим границам слов.")}


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_trim_a_bite_and_hear_the_new_edges(app, live_server, page, bites, shot, locale):  # noqa: F811
    trim, done = WORDS[locale]
    with app.app_context():
        db.session.scalar(select(User).where(User.email == "enablement@example.test")).locale = locale
        db.session.commit()
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "enablement@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/bites/{bites['middle']}")
    page.fill("#bite-start", "0:05")
    page.fill("#bite-end", "7")
    page.get_by_role("button", name=trim, exact=True).click()
    page.wait_for_load_state()
    assert done in page.content()
    player = page.locator("[data-player]")
    start, end = float(player.get_attribute("data-start")), float(player.get_attribute("data-end"))
    assert start == pytest.approx(5.0, abs=0.01) and end == pytest.approx(6.99, abs=0.02)  # "this ... expensive"
    assert [w.strip() for w in page.locator("[data-transcript] .word").all_inner_texts()] == \
        ["this", "is", "too", "expensive"]
    _wait_until(page, f"{MEDIA}.readyState >= 1")
    page.evaluate(f"{MEDIA}.muted = true")  # the test machine has no speakers
    assert abs(page.evaluate(f"{MEDIA}.currentTime") - start) < 0.3  # opens at the new start
    page.locator("[data-player] .media").focus()
    page.keyboard.press("k")
    _wait_until(page, f"!{MEDIA}.paused")
    _wait_until(page, f"{MEDIA}.paused")  # stops by itself at the new end
    assert abs(page.evaluate(f"{MEDIA}.currentTime") - end) < 0.5
    shot(page, f"trimmed-{locale}")
