"""Find the links in Markdown and check external ones over HTTP, classifying what is wrong with each."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import ssl
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

import httpx

log = logging.getLogger(__name__)

LinkStatus = Literal["ok", "moved", "broken", "dns", "refused", "tls", "timeout", "server_error", "error"]
USER_AGENT = "EnableLinkChecker/1.0"
INTERNAL_KINDS = ("bites", "playbooks", "assets")

# HEAD is widely mishandled (405, 501, or even 403/404 where GET works), so any refusal gets a GET.
_RETRY_WITH_GET_FROM = 400
_BROKEN = {404: "Not found", 410: "Gone"}
# The site answered but will not serve a bot: the page almost certainly exists, so it is not reported.
# 999 is LinkedIn's answer to crawlers.
_BLOCKED = {
    401: "needs a login",
    403: "refused the link checker",
    429: "rate-limited the link checker",
    999: "refused the link checker",
}

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[^\n]*$|\Z)", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)\1(?!`)")
_INLINE_START = re.compile(r"\]\(")
_REF_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*<?([^\s>]+)>?", re.M)
_AUTOLINK = re.compile(r"<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>")
_HTML_ATTR = re.compile(r"""\b(?:href|src)\s*=\s*(["'])(.*?)\1""", re.I)
_BARE = re.compile(r"https?://[^\s<>\"'`\]\[{}|\\^]+", re.I)
_TRAILING = ".,;:!?*_~'\""


@dataclass(frozen=True)
class LinkResult:
    """The outcome of checking one URL; checked_at is UTC."""

    url: str
    status: LinkStatus
    http_status: int | None
    final_url: str | None
    detail: str
    checked_at: datetime


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """Text with the spans blanked out; same length, so later positions still point into the original."""
    pieces, last = [], 0
    for start, end in sorted(spans):
        if start >= last:
            pieces += [text[last:start], " " * (end - start)]
            last = end
    return "".join([*pieces, text[last:]])


def _strip_code(markdown: str) -> str:
    for pattern in (_FENCE, _CODE_SPAN):
        markdown = _masked(markdown, [m.span() for m in pattern.finditer(markdown)])
    return markdown


def _inline_destination(text: str, open_paren: int) -> tuple[str, int] | None:
    """The destination of an inline link whose '(' is at open_paren, and where the link ends."""
    i = open_paren + 1
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i < len(text) and text[i] == "<":
        close = text.find(">", i)
        return (text[i + 1 : close], close + 1) if close != -1 else None
    depth, start = 0, i
    while i < len(text):
        ch = text[i]
        if ch in " \t\n" or (ch == ")" and depth == 0):
            break
        # Balanced parentheses belong to the URL, as in https://en.wikipedia.org/wiki/Sales_(disambiguation).
        depth += (ch == "(") - (ch == ")")
        i += 1
    end = text.find(")", i)
    return (text[start:i], end + 1 if end != -1 else i) if i > start else None


def _destinations(markdown: str) -> list[str]:
    """Every link target in the Markdown, in document order, code excluded."""
    text = _strip_code(markdown)
    found: list[tuple[int, str]] = []
    spans = []
    for m in _INLINE_START.finditer(text):
        dest = _inline_destination(text, m.end() - 1)
        if dest:
            found.append((m.start(), dest[0]))
            spans.append((m.end(), dest[1]))
    text = _masked(text, spans)
    # Each kind is blanked once found, so the bare-URL pass below does not find it again.
    for pattern, group in ((_REF_DEF, 1), (_AUTOLINK, 1), (_HTML_ATTR, 2)):
        matches = list(pattern.finditer(text))
        found += [(m.start(), m.group(group)) for m in matches]
        text = _masked(text, [m.span() for m in matches])
    for m in _BARE.finditer(text):
        url = m.group(0).rstrip(_TRAILING)
        while url.endswith(")") and url.count(")") > url.count("("):
            url = url[:-1].rstrip(_TRAILING)
        found.append((m.start(), url))
    return [url.strip() for _, url in sorted(found, key=lambda item: item[0])]


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return ""


def _is_web_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://")) and bool(_host(url))


def extract_links(markdown: str, base_url: str | None = None) -> list[str]:
    """External http(s) links in Markdown (inline, reference, autolink, bare, HTML), deduplicated in order.

    Links under base_url (this Enable site) are internal, not external, and are left out.
    """
    own = base_url.rstrip("/") + "/" if base_url else None
    return _dedupe(
        url
        for url in _destinations(markdown)
        if _is_web_url(url) and not (own and (url + "/").startswith(own))
    )


def internal_targets(
    markdown: str, kinds: Iterable[str] = INTERNAL_KINDS, base_url: str | None = None
) -> list[tuple[str, int]]:
    """Links to our own pages such as /bites/12 as (kind, id), deduplicated in order.

    Absolute links under base_url (this Enable site) count as well.
    """
    alternatives = "|".join(re.escape(k) for k in kinds)
    pattern = re.compile(rf"^/({alternatives})/(\d+)(?:[/?#].*)?$")
    base = base_url.rstrip("/") if base_url else None
    targets = []
    for url in _destinations(markdown):
        if base and url.startswith(base + "/"):
            url = url[len(base) :]
        if m := pattern.match(url):
            targets.append((m.group(1), int(m.group(2))))
    return list(dict.fromkeys(targets))


def _now() -> datetime:
    return datetime.now(UTC)


def _classify_exception(url: str, exc: Exception, timeout_s: float) -> LinkResult:
    """What went wrong below HTTP, from the exception's causes (httpx wraps httpcore, which wraps OSError)."""
    if isinstance(exc, httpx.TimeoutException):
        return LinkResult(url, "timeout", None, None, f"No answer within {timeout_s:g} s.", _now())
    if isinstance(exc, httpx.TooManyRedirects):
        return LinkResult(url, "error", None, None, "Too many redirects (a redirect loop?).", _now())
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            detail = f"The name {_host(url)} does not resolve: {cause}."
            return LinkResult(url, "dns", None, None, detail, _now())
        if isinstance(cause, ConnectionRefusedError):
            return LinkResult(url, "refused", None, None, "The server refused the connection.", _now())
        if isinstance(cause, ssl.SSLError):
            reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or cause
            return LinkResult(url, "tls", None, None, f"TLS error: {reason}.", _now())
        if isinstance(cause, TimeoutError):
            return LinkResult(url, "timeout", None, None, f"No answer within {timeout_s:g} s.", _now())
        cause = cause.__cause__ or cause.__context__
    return LinkResult(url, "error", None, None, f"{type(exc).__name__}: {exc}".rstrip(":. ") + ".", _now())


def _classify_response(url: str, response: httpx.Response, attempts: int) -> LinkResult:
    code = response.status_code
    moved = bool(response.history)
    final_url = str(response.url) if moved else None
    status: LinkStatus
    if code in _BROKEN:
        status, detail = "broken", _BROKEN[code] + (f" (after a redirect to {final_url})." if moved else ".")
    elif code in _BLOCKED:
        status, detail = "ok", f"HTTP {code}: the site {_BLOCKED[code]}; the page probably exists."
    elif code >= 500:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        status, detail = "server_error", f"Server error (HTTP {code}){tries}."
    elif code >= 400:
        status, detail = "error", f"The site answered HTTP {code}."
    elif moved:
        first = response.history[0].status_code
        kind = "permanently" if first in (301, 308) else "temporarily"
        status, detail = "moved", f"Moved {kind} (HTTP {first}) to {final_url}."
    else:
        status, detail = "ok", f"OK (HTTP {code})."
    return LinkResult(url, status, code, final_url, detail, _now())


async def _request(client: httpx.AsyncClient, method: str, url: str) -> httpx.Response:
    # Streaming and closing at once fetches the status and headers, never a large body.
    async with client.stream(method, url) as response:
        return response


async def _check_one(
    client: httpx.AsyncClient,
    url: str,
    limits: tuple[asyncio.Semaphore, asyncio.Semaphore],
    timeout_s: float,
    retries_5xx: int,
    backoff_s: float,
) -> LinkResult:
    if not _is_web_url(url):
        detail = "Not a web address: only http:// and https:// links are checked."
        return LinkResult(url, "error", None, None, detail, _now())
    async with limits[0], limits[1]:
        try:
            response = await _request(client, "HEAD", url)
            if response.status_code >= _RETRY_WITH_GET_FROM and response.status_code not in _BLOCKED:
                response = await _request(client, "GET", url)
            attempts = 1
            while response.status_code >= 500 and response.status_code != 999 and attempts <= retries_5xx:
                await asyncio.sleep(backoff_s * 2 ** (attempts - 1))
                response = await _request(client, "GET", url)
                attempts += 1
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
            result = _classify_exception(url, exc, timeout_s)
        else:
            result = _classify_response(url, response, attempts)
    log.debug("link %s: %s (%s)", url, result.status, result.http_status)
    return result


async def check_urls_async(
    urls: list[str],
    timeout_s: float = 10.0,
    per_host: int = 2,
    concurrency: int = 16,
    retries_5xx: int = 2,
    backoff_s: float = 0.5,
    verify: ssl.SSLContext | bool = True,
) -> dict[str, LinkResult]:
    """check_urls for callers already inside an event loop."""
    unique = _dedupe(urls)
    if not unique:
        return {}
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    async with httpx.AsyncClient(
        follow_redirects=True,
        timeout=httpx.Timeout(timeout_s),
        headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
        limits=httpx.Limits(max_connections=concurrency),
        verify=verify,
    ) as client:
        tasks = []
        for url in unique:
            # Keyed by host name whatever the port: the politeness is owed to the machine.
            limits = (overall, hosts.setdefault(_host(url), asyncio.Semaphore(per_host)))
            tasks.append(_check_one(client, url, limits, timeout_s, retries_5xx, backoff_s))
        results = await asyncio.gather(*tasks)
    return dict(zip(unique, results, strict=True))


def check_urls(
    urls: list[str],
    timeout_s: float = 10.0,
    per_host: int = 2,
    concurrency: int = 16,
    retries_5xx: int = 2,
    backoff_s: float = 0.5,
    verify: ssl.SSLContext | bool = True,
) -> dict[str, LinkResult]:
    """Check each URL over HTTP, blocking; timeout_s is per request, backoff_s doubles per retry."""
    args = (urls, timeout_s, per_host, concurrency, retries_5xx, backoff_s, verify)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(check_urls_async(*args))
    # Called from inside a running loop (e.g. an async worker): asyncio.run would refuse, so use a thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, check_urls_async(*args)).result()
