"""What a browser does once a page is shown: enable.js posts the page's usage beacon (the view is counted then)."""

from __future__ import annotations

import html as html_lib
import re

_BEACON = re.compile(r'data-usage-beacon="([^"]+)" data-csrf="([^"]*)"')


def page_shown(client, page: str) -> int:
    """Post the beacon of a page (its HTML), as enable.js does; return the answer's status."""
    found = _BEACON.search(page)
    assert found, "the page has no usage beacon"
    url, token = (html_lib.unescape(part) for part in found.groups())
    return client.post(url, headers={"X-CSRFToken": token}).status_code
