"""In a real browser, on the demo site, in English and in Russian: a manager comments at a second of a call, the
comment shows in the thread, beside the transcript and on the timeline; clicking its time plays from that second.
An unknown mention comes back with the text kept."""

from __future__ import annotations

import pytest

from tests.demo_site import sign_in

pytestmark = pytest.mark.browser

MEDIA = "document.getElementById('call-media')"
WORDS = {
    "en": {"post": "Post comment", "posted": "Comment posted at 0:07.", "unknown": "No one here has the handle @nobody",
           "comments": "Comments"},
    "ru": {"post": "Добавить комментарий", "posted": "Комментарий добавлен на 0:07.",
           "unknown": "Здесь нет никого с именем @nobody", "comments": "Комментарии"},
}


@pytest.fixture(params=["en", "ru"])
def language(request):
    return request.param


@pytest.fixture
def page(browser, demo_site, language):
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  locale="ru-RU" if language == "ru" else "en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _time(page) -> float:
    return page.evaluate(f"{MEDIA}.currentTime")


def _rewind(page) -> None:
    page.evaluate(f"() => {{ const m = {MEDIA}; m.muted = true; m.pause(); m.currentTime = 0; }}")


def test_comment_at_a_second_and_play_from_it(demo_site, page, shot, language):
    words = WORDS[language]
    base, call = demo_site.url, demo_site.ids["call"]
    sign_in(page, base, "manager")
    page.goto(f"{base}/calls/{call}")
    page.wait_for_function(f"{MEDIA}.readyState >= 1")
    assert page.locator("#comments-title").inner_text().startswith(words["comments"])

    # An unknown mention: refused, with the text kept to correct.
    text = f"Listen to the pause here ({language}) @nobody"
    page.fill("#body", text)
    page.fill("#at", "0:07")
    with page.expect_navigation():
        page.click(f"button:has-text('{words['post']}')")
    assert words["unknown"] in page.inner_text("body")
    assert page.input_value("#body") == text
    shot(page, f"{language}-unknown-mention")

    page.fill("#body", f"Listen to the **pause** here ({language})")
    with page.expect_navigation():
        page.click(f"button:has-text('{words['post']}')")
    assert words["posted"] in page.inner_text(".flash-success, .flashes")
    comment = page.locator(".comment", has_text=f"Listen to the pause here ({language})")
    assert comment.locator("strong", has_text="pause").count() == 1
    shot(page, f"{language}-posted")

    # The comment's time in the thread plays from 0:07.
    _rewind(page)
    comment.locator(".comment-time").click()
    page.wait_for_function(f"{MEDIA}.currentTime >= 7")
    assert 7 <= _time(page) < 9

    # Beside the transcript, and on the timeline: each plays from there too.
    _rewind(page)
    page.locator(".call-transcript .comment-pin .comment-time", has_text="0:07").first.click()
    page.wait_for_function(f"{MEDIA}.currentTime >= 7")
    _rewind(page)
    marker = page.locator(".comment-timeline .comment-marker[data-start='7.0']")
    assert marker.is_visible()
    left = marker.evaluate("m => m.style.left")
    assert left.endswith("%") and 0 < float(left[:-1]) < 100
    marker.click()
    page.wait_for_function(f"{MEDIA}.currentTime >= 7")
    assert 7 <= _time(page) < 9
    shot(page, f"{language}-played-from-the-comment")

    # The bite page of the call's first bite shows the comment at its call second, and plays from it.
    page.goto(f"{base}/bites/{demo_site.ids['bite']}")
    bite_media = "document.querySelector('[data-media]')"
    page.wait_for_function(f"{bite_media}.readyState >= 1")
    page.evaluate(f"() => {{ const m = {bite_media}; m.muted = true; m.pause(); m.currentTime = 30; }}")
    on_bite = page.locator(".comment", has_text=f"Listen to the pause here ({language})")
    on_bite.locator(".comment-time", has_text="0:07").click()
    page.wait_for_function(f"{bite_media}.currentTime >= 7 && {bite_media}.currentTime < 9")
    shot(page, f"{language}-bite-page")
