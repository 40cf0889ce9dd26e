"""In a real browser: an enablement lead uploads a call, watches its progress bar move without reloading,
and opens the finished call with its transcript and bites."""

from __future__ import annotations

import threading

import pytest

from enable import queue
from tests.calls.helpers import AUDIO, load_content
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False  # a background consumer processes the upload, as `flask serve` does
    return app_config


@pytest.fixture
def consumer(app):
    """A job consumer in this process, like the one `flask serve` starts; stopped after the test."""
    with app.app_context():
        load_content()
    worker = queue.make_consumer(workers=1, periodic_tasks=False)
    worker._set_signal_handlers = lambda: None  # only the main thread may install signal handlers
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.stop(graceful=True)
    thread.join(timeout=30)


def test_upload_progress_and_the_finished_call(live_server, page, shot, users, consumer):
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "enablement@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.goto(f"{live_server}/calls/upload")
    shot(page, "upload-form")
    page.set_input_files("input[name=files]", [str(AUDIO / "sales_dialogue.ogg")])
    page.fill("input[name=title]", "Northwind discovery")
    page.select_option("select[name=stage]", "discovery")
    # A slow link (300 KB/s up: the 1.3 MB file takes about 4 s): the page shows how much of it is sent.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": 300_000})
    page.click("input[type=submit][value=Upload]")
    page.wait_for_function("() => { const p = document.querySelector('.upload-progress progress');"
                           " return p && p.value > 0 && p.value < p.max; }", timeout=30_000)
    assert "Sending:" in page.inner_text(".upload-percent") and "MB" in page.inner_text(".upload-percent")
    shot(page, "sending")
    page.wait_for_url(f"{live_server}/calls/")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.wait_for_selector("tr[data-call-id]")
    assert "1 recording uploaded" in page.inner_text("main")
    row = page.locator("tr[data-call-id]")
    assert "Northwind discovery" in row.inner_text()
    shot(page, "queued")

    # Mark this page: a reload would lose the mark, so a moving bar with the mark proves live updates.
    page.evaluate("window.__notReloaded = true")
    page.wait_for_function(
        "() => { const p = document.querySelector('progress.call-progress');"
        " return window.__notReloaded && p && p.value > 0.05; }", timeout=120_000)
    first = page.eval_on_selector("progress.call-progress", "p => p.value")
    percent = page.inner_text(".call-percent")
    assert "%" in percent and page.inner_text(".call-status") == "Transcribing"
    shot(page, "transcribing")
    # The bar moves on, unless the call finished between two polls (then the page has reloaded itself).
    page.wait_for_function(
        f"() => !window.__notReloaded || (document.querySelector('progress.call-progress')"
        f" && document.querySelector('progress.call-progress').value > {first})", timeout=120_000)

    # When the call is done the page reloads itself and shows it ready with its bites.
    page.wait_for_function("() => !window.__notReloaded && document.querySelector('.call-status')"
                           " && document.querySelector('.call-status').dataset.status === 'ready'",
                           timeout=240_000)
    assert int(page.inner_text("td.call-bites")) >= 2
    shot(page, "ready")

    page.click("text=Northwind discovery")
    page.wait_for_selector(".call-transcript")
    text = page.inner_text("main")
    assert "Rep:" in text and "Customer:" in text and "Talk ratio" in text
    assert page.locator("ol.bite-list li").count() >= 2
    duration = page.evaluate("""() => new Promise(resolve => {
        const media = document.getElementById('call-media');
        if (media.readyState >= 1) { resolve(media.duration); }
        else { media.addEventListener('loadedmetadata', () => resolve(media.duration)); }
    })""")
    assert duration > 300
    page.locator(".call-transcript button.seek").nth(3).click()
    seek_to = float(page.locator(".call-transcript button.seek").nth(3).get_attribute("data-start"))
    page.wait_for_function(f"() => Math.abs(document.getElementById('call-media').currentTime - {seek_to}) < 2")
    shot(page, "call-page")
