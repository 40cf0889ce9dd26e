"""Fetching an announced recording through the outbound guard (enable.netguard), as webhooks are sent: each hop's
host resolved once, refused when private (unless WEBHOOK_ALLOW_PRIVATE), connected to by the checked address; the
bearer token goes only to the first hop's origin (same scheme, host and port: a redirect to storage elsewhere, to
another port or from https down to http gets none); the body is limited to
MAX_UPLOAD_MB and written to a file, never held in memory."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urljoin

import httpx
from flask_babel import gettext as _

from enable import netguard
from enable.errors import StorageFull, UserError, is_disk_full

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
_CHUNK = 1 << 20


class DownloadFailed(UserError):
    """The recording could not be fetched; the message says why (no token or address is in it)."""


def fetch(url: str, dest: Path, *, bearer: str | None, timeout_s: float, max_bytes: int,
          private_ok: bool) -> int:
    """GET url into dest, following up to MAX_REDIRECTS checked redirects; the bytes written. DownloadFailed,
    StorageFull (nothing kept), netguard.InvalidAddress for a refused address."""
    first_origin: tuple[str, str, int] | None = None
    headers = {"User-Agent": "Enable-Recordings/1"}
    for _hop in range(MAX_REDIRECTS + 1):
        target = netguard.parse(url)
        origin = (target.scheme, target.host, target.port)
        first_origin = first_origin or origin
        try:
            addresses = netguard.resolve(target, private_ok)
        except netguard.UnresolvedHost as e:
            raise DownloadFailed(_("The recording's host could not be found (%(why)s).", why=str(e)[:200])) from e
        send = {**headers, "Host": target.host_header}
        if bearer and origin == first_origin:
            send["Authorization"] = f"Bearer {bearer}"
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            with httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False) as client, \
                    client.stream("GET", target.url_for(addresses[0]), headers=send,
                                  extensions=extensions) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                if response.status_code != 200:
                    raise DownloadFailed(_("The recording's server answered HTTP %(code)s.",
                                           code=response.status_code))
                return _write(response, dest, max_bytes)
        except httpx.HTTPError as e:
            raise DownloadFailed(_("The recording could not be downloaded (%(kind)s).", kind=type(e).__name__)) from e
    raise DownloadFailed(_("The recording's address redirects too many times."))


def _write(response: httpx.Response, dest: Path, max_bytes: int) -> int:
    size = 0
    try:
        with dest.open("wb") as out:
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadFailed(_("The recording is larger than the %(mb)s MB limit.",
                                           mb=max_bytes // (1024 * 1024)))
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException as e:
        dest.unlink(missing_ok=True)
        if is_disk_full(e):
            raise StorageFull(_("The recording could not be stored: the server's disk is full.")) from e
        raise
    return size
