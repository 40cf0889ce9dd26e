"""Reasons stored as a code and its parameters, written in the reader's language when shown.

A worker (or a check run from the command line) speaks the site's default language, so a reason it stored as
text read in that language for everyone: a failed call's reason, a link check's detail. Such reasons are now
stored as a code ("call.interrupted") with their parameters as JSON ({"n": 3}); the page translates the code's
message when it shows it, so the reason reads in the reader's language. The stored English text stays beside
it, for logs, webhooks and the API, and for reasons stored before codes (they are shown as they are).

Every code is registered here with its English message, marked with ``N_`` so that the catalog extraction
finds it (Babel's default keywords) while nothing is translated at import.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "translate later")
    """Mark a message for the catalog; it is translated when shown (``text``)."""
    return message


MESSAGES: dict[str, str] = {
    # Calls (enable.pipeline, enable.calls.services)
    "call.interrupted": N_("Processing was interrupted %(n)d times; retry it, and if it stops again ask your admin "
                           "to check the worker's memory and logs."),
    "call.crashed": N_("Processing failed (%(kind)s: %(why)s). Retry it; if it fails again, tell your admin."),
    "call.no_speech": N_("No speech was found in this recording; check that it is the right file and that "
                         "the sound is not muted."),
    "call.media_missing": N_("The recording of this call is missing from the media folder; upload it again."),
    "call.transcript_not_saved": N_("The transcript could not be saved: %(why)s. Free disk space or fix the "
                                    "permissions of the transcripts folder (TRANSCRIPTS_DIR), then retry the call."),
    "call.disk_full": N_("Processing stopped because the server's disk is full. Ask your admin to free disk space, "
                         "then retry the call."),
    "call.empty_file": N_("The file is empty: it holds no recording."),
    "call.unreadable": N_("This file is not audio or video we can read: %(why)s. Please upload mp3, wav, m4a, ogg, "
                          "opus, flac, or a video with sound."),
    # Link checks (enable.playbooks.linkcheck, enable.playbooks.links)
    "link.private_host": N_("Not checked: %(host)s is a private or local address."),
    "link.private_redirect": N_("Not checked: a redirect leads to a private or local address."),
    "link.dns": N_("The name %(host)s does not resolve."),
    "link.dns_cause": N_("The name %(host)s does not resolve: %(cause)s."),
    "link.invalid": N_("Not a valid web address (or a redirect to one)."),
    "link.timeout": N_("No answer within %(seconds)s s."),
    "link.redirect_loop": N_("Too many redirects (a redirect loop?)."),
    "link.refused": N_("The server refused the connection."),
    "link.tls": N_("TLS error: %(why)s."),
    "link.failed": N_("The check failed: %(error)s."),
    "link.not_found": N_("Not found."),
    "link.not_found_redirect": N_("Not found (after a redirect to %(url)s)."),
    "link.gone": N_("Gone."),
    "link.gone_redirect": N_("Gone (after a redirect to %(url)s)."),
    "link.needs_login": N_("HTTP %(code)s: the site needs a login; the page probably exists."),
    "link.bot_refused": N_("HTTP %(code)s: the site refused the link checker; the page probably exists."),
    "link.rate_limited": N_("HTTP %(code)s: the site rate-limited the link checker; the page probably exists."),
    "link.server_error": N_("Server error (HTTP %(code)s)."),
    "link.server_error_tries": N_("Server error (HTTP %(code)s) after %(n)d attempts."),
    "link.http_error": N_("The site answered HTTP %(code)s."),
    "link.moved_permanently": N_("Moved permanently (HTTP %(code)s) to %(url)s."),
    "link.moved_temporarily": N_("Moved temporarily (HTTP %(code)s) to %(url)s."),
    "link.ok": N_("OK (HTTP %(code)s)."),
    "link.not_web": N_("Not a web address: only http:// and https:// links are checked."),
    "link.no_such_bite": N_("No such bite: it was deleted, or its sample call is not imported."),
    "link.no_such_playbook": N_("No such playbook: it was deleted, or its sample call is not imported."),
    "link.no_such_asset": N_("No such asset: it was deleted, or its sample call is not imported."),
    "link.retired_bite": N_("The bite was retired."),
    "link.retired_playbook": N_("The playbook was retired."),
    "link.retired_asset": N_("The asset was retired."),
    "link.archived_bite": N_("The bite was archived."),
    "link.archived_playbook": N_("The playbook was archived."),
    "link.archived_asset": N_("The asset was archived."),
    "link.exists": N_("The item exists."),
}

# Parameters that are themselves messages of the catalog (translated before they are put in).
_TRANSLATED_PARAMS: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reason:
    """A reason by its code and parameters; ``english`` is its text in the site's default wording."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            raise KeyError(f"unknown reason code {self.code!r}")

    @property
    def english(self) -> str:
        return _format(MESSAGES[self.code], self.params) or self.code

    def __str__(self) -> str:
        return self.english


def reason(code: str, /, **params: Any) -> Reason:
    """A reason to store: its code and the values its message names."""
    return Reason(code, params)


def _format(message: str, params: dict[str, Any]) -> str | None:
    try:
        return message % params
    except (KeyError, TypeError, ValueError):
        return None


def text(code: str | None, params: dict[str, Any] | None, stored: str | None = None) -> str:
    """A stored reason in the reader's language: its code's message translated with its parameters; the stored
    text when there is no code (a reason stored before codes) or the code is unknown or its parameters no longer
    fit the message."""
    message = MESSAGES.get(code or "")
    if message is None:
        return stored or ""
    from flask_babel import gettext

    values = dict(params or {})
    for key in _TRANSLATED_PARAMS & values.keys():
        values[key] = gettext(str(values[key]))
    translated = _format(gettext(message), values)
    if translated is None:
        log.warning("reason %s: parameters %r do not fit its message", code, sorted(values))
        return stored or _format(message, params or {}) or ""
    return translated
