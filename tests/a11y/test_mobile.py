"""A 375 px wide phone (375 x 667, touch): search with its filters, the bite page and the daily review work without
sideways scrolling, and what a user taps is big enough to tap. Screenshots of each step are test artifacts."""

from __future__ import annotations

import pytest

from tests.demo_site import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}
MIN_TARGET_PX = 24  # WCAG 2.2 target size (minimum)


@pytest.fixture
def phone(browser, demo_site):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1,
                                  locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, demo_site.url, "rep")
    yield page
    context.close()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px screen"


def _fits(page, selector: str) -> dict:
    """The element is visible, inside the screen's width, and at least MIN_TARGET_PX tall; returns its box."""
    box = page.locator(selector).first.bounding_box()
    assert box, f"{selector} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, f"{selector} sticks out: {box}"
    assert box["height"] >= MIN_TARGET_PX, f"{selector} is too small to tap: {box}"
    return box


def test_search_and_its_filters_on_a_phone(phone, demo_site, shot):
    page = phone
    page.goto(f"{demo_site.url}/search/")
    _no_sideways_scroll(page)
    _fits(page, "input#q")
    page.tap("input#q")
    page.keyboard.type("price")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _no_sideways_scroll(page)
    # The filters fold away on a phone so the results come first; one tap opens them.
    toggle = page.locator(".facets-toggle > summary")
    assert toggle.is_visible() and not page.locator(".facet").first.is_visible()
    first_result = page.locator(".result-title a").first
    assert first_result.bounding_box()["y"] < PHONE["height"], "the first result is below the fold"
    shot(page, "results")
    page.tap(".facets-toggle > summary")
    option = page.locator(".facet-option").first
    assert option.is_visible()
    _fits(page, ".facet-option")
    _no_sideways_scroll(page)
    shot(page, "filters-open")
    with page.expect_navigation():
        option.tap()  # ticking a filter runs the search again
    assert "&" in page.url and page.locator(".result").count() >= 1
    _no_sideways_scroll(page)
    shot(page, "filtered")


def test_the_bite_page_on_a_phone(phone, demo_site, shot):
    page = phone
    page.goto(f"{demo_site.url}/bites/{demo_site.ids['bite']}")
    _no_sideways_scroll(page)
    player = _fits(page, "[data-player] [data-media]")
    assert player["y"] < PHONE["height"], "the player is below the fold"
    page.locator("[data-transcript]").scroll_into_view_if_needed()
    assert page.locator("[data-transcript] .word").first.is_visible()
    box = page.locator("[data-transcript]").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    shot(page, "bite-page")
    word = page.locator("[data-transcript] .word").nth(5)
    start = float(word.get_attribute("data-start"))
    page.evaluate("document.querySelector('[data-media]').muted = true")
    word.tap()
    for _ in range(100):  # poll: wait_for_function compiles strings, which the CSP forbids
        if abs(page.evaluate("document.querySelector('[data-media]').currentTime") - start) < 1.5:
            break
        page.wait_for_timeout(50)
    assert abs(page.evaluate("document.querySelector('[data-media]').currentTime") - start) < 1.5
    _fits(page, "form[data-share] button")
    shot(page, "bite-word-tapped")


def test_the_daily_review_on_a_phone(phone, demo_site, shot):
    page = phone
    page.goto(f"{demo_site.url}/learning/review")
    _no_sideways_scroll(page)
    assert page.locator("form.review-card").is_visible(), "the demo rep has questions due"
    shot(page, "review-question")
    _fits(page, "form.review-card label.option")
    _fits(page, "form.review-card button[type=submit]")
    page.locator("form.review-card label.option").first.tap()
    with page.expect_navigation():
        page.tap("form.review-card button[type=submit]")
    assert page.locator(".review-feedback").is_visible()
    _no_sideways_scroll(page)
    shot(page, "review-answered")


def test_the_menu_opens_from_the_keyboard_on_a_narrow_screen(phone, demo_site, shot):
    """At 375 px (or a desktop zoomed to 400 %) the navigation folds into a menu that the keyboard opens too."""
    page = phone
    page.goto(f"{demo_site.url}/learning/")
    assert not page.locator("nav.mainnav").is_visible()
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "nav-toggle":
            break
    assert page.evaluate("document.activeElement.id") == "nav-toggle"
    page.keyboard.press("Space")
    assert page.locator("nav.mainnav >> text=Search").is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav.mainnav') !== null")
    _no_sideways_scroll(page)
    shot(page, "menu-open-by-keyboard")
