"""Find the links in Markdown and check external ones over HTTP, classifying what is wrong with each.

Every request goes through the outbound guard (enable.netguard): a link whose host is, or resolves to, a loopback,
private, link-local or other non-public address is not fetched ("private"), nor is any redirect hop leading to one,
unless the caller allows private targets; each hop connects to the very address that was checked.
"""

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
from urllib.parse import urljoin, urlsplit

import httpx

from enable import netguard
from enable.reasons import Reason, reason

log = logging.getLogger(__name__)

LinkStatus = Literal["ok", "moved", "broken", "dns", "refused", "tls", "timeout", "server_error", "error", "private"]
USER_AGENT = "EnableLinkChecker/1.0"
INTERNAL_KINDS = ("bites", "playbooks", "assets")
MAX_REDIRECTS = 20

# HEAD is widely mishandled (405, 501, or even 403/404 where GET works), so any refusal gets a GET.
_RETRY_WITH_GET_FROM = 400
_BROKEN = {404: "link.not_found", 410: "link.gone"}  # reason codes (enable.reasons)
# The site answered but will not serve a bot: the page almost certainly exists, so it is not reported.
# 999 is LinkedIn's answer to crawlers.
_BLOCKED = {
    401: "link.needs_login",
    403: "link.bot_refused",
    429: "link.rate_limited",
    999: "link.bot_refused",
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
    detail: str  # in English (logs, webhooks); ``reason`` is the same as a code, shown in the reader's language
    checked_at: datetime
    reason: Reason | None = None


def _result(url: str, status: LinkStatus, why: Reason, http_status: int | None = None,
            final_url: str | None = None) -> LinkResult:
    return LinkResult(url, status, http_status, final_url, why.english, _now(), why)


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


class TooManyRedirects(Exception):
    """More than MAX_REDIRECTS redirects in a row."""


class PrivateHop(Exception):
    """A hop (the link itself, or a redirect's target) leads to a non-public address; `redirected` tells which."""

    def __init__(self, host: str, redirected: bool) -> None:
        super().__init__(host)
        self.host, self.redirected = host, redirected


@dataclass(frozen=True)
class Answer:
    """The last answer of a request whose redirects were followed: its status, the redirect codes on the way, and
    the address it came from."""

    status_code: int
    history: tuple[int, ...]
    url: str


def _classify_exception(url: str, exc: Exception, timeout_s: float) -> LinkResult:
    """What went wrong below HTTP, from the exception's causes (httpx wraps httpcore, which wraps OSError)."""
    if isinstance(exc, PrivateHop):
        # Where a redirect went is not told: the report must not map the private network.
        why = reason("link.private_redirect") if exc.redirected else reason("link.private_host", host=exc.host)
        return _result(url, "private", why)
    if isinstance(exc, netguard.UnresolvedHost):
        return _result(url, "dns", reason("link.dns", host=_host(url)))
    if isinstance(exc, netguard.InvalidAddress):
        return _result(url, "error", reason("link.invalid"))
    if isinstance(exc, httpx.TimeoutException):
        return _result(url, "timeout", reason("link.timeout", seconds=f"{timeout_s:g}"))
    if isinstance(exc, TooManyRedirects):
        return _result(url, "error", reason("link.redirect_loop"))
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return _result(url, "dns", reason("link.dns_cause", host=_host(url), cause=str(cause)))
        if isinstance(cause, ConnectionRefusedError):
            return _result(url, "refused", reason("link.refused"))
        if isinstance(cause, ssl.SSLError):
            detail = getattr(cause, "verify_message", None) or getattr(cause, "reason", None) or cause
            return _result(url, "tls", reason("link.tls", why=str(detail)))
        if isinstance(cause, TimeoutError):
            return _result(url, "timeout", reason("link.timeout", seconds=f"{timeout_s:g}"))
        cause = cause.__cause__ or cause.__context__
    return _result(url, "error", reason("link.failed", error=f"{type(exc).__name__}: {exc}".rstrip(":. ")))


def _classify_response(url: str, answer: Answer, attempts: int) -> LinkResult:
    code = answer.status_code
    moved = bool(answer.history)
    final_url = answer.url if moved else None
    status: LinkStatus
    if code in _BROKEN:
        status = "broken"
        why = reason(f"{_BROKEN[code]}_redirect", url=final_url) if moved else reason(_BROKEN[code])
    elif code in _BLOCKED:
        status, why = "ok", reason(_BLOCKED[code], code=code)
    elif code >= 500:
        status = "server_error"
        why = reason("link.server_error_tries", code=code, n=attempts) if attempts > 1 else reason(
            "link.server_error", code=code)
    elif code >= 400:
        status, why = "error", reason("link.http_error", code=code)
    elif moved:
        first = answer.history[0]
        kind = "link.moved_permanently" if first in (301, 308) else "link.moved_temporarily"
        status, why = "moved", reason(kind, code=first, url=final_url)
    else:
        status, why = "ok", reason("link.ok", code=code)
    return _result(url, status, why, code, final_url)


async def _request_once(client: httpx.AsyncClient, method: str, url: str, allow_private: bool,
                        redirected: bool) -> tuple[int, str | None]:
    """One guarded request: the host resolved once and checked, then the checked address connected to (the next
    one when a connection fails). Returns the status and the Location header. Streaming and closing at once fetches
    the status and headers, never a large body."""
    target = netguard.parse(url)
    try:
        found = await asyncio.to_thread(netguard.resolve, target, allow_private)
    except netguard.PrivateAddress:
        raise PrivateHop(target.host, redirected) from None
    headers = {"Host": target.host_header}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    for n, address in enumerate(found):
        try:
            async with client.stream(method, target.url_for(address), headers=headers,
                                     extensions=extensions) as response:
                location = response.headers.get("location") if response.is_redirect else None
                return response.status_code, location
        except httpx.ConnectError:
            if n == len(found) - 1:
                raise
    raise AssertionError("resolve returns at least one address")


async def _request(client: httpx.AsyncClient, method: str, url: str, allow_private: bool) -> Answer:
    """The request with its redirects followed by hand, each hop guarded as the first (netguard)."""
    history: list[int] = []
    while True:
        code, location = await _request_once(client, method, url, allow_private, redirected=bool(history))
        if location is None:
            return Answer(code, tuple(history), url)
        if len(history) >= MAX_REDIRECTS:
            raise TooManyRedirects(url)
        history.append(code)
        url = urljoin(url, location)


async def _check_one(
    client: httpx.AsyncClient,
    url: str,
    limits: tuple[asyncio.Semaphore, asyncio.Semaphore],
    timeout_s: float,
    retries_5xx: int,
    backoff_s: float,
    allow_private: bool,
) -> LinkResult:
    if not _is_web_url(url):
        return _result(url, "error", reason("link.not_web"))
    async with limits[0], limits[1]:
        try:
            response = await _request(client, "HEAD", url, allow_private)
            if response.status_code >= _RETRY_WITH_GET_FROM and response.status_code not in _BLOCKED:
                response = await _request(client, "GET", url, allow_private)
            attempts = 1
            while response.status_code >= 500 and response.status_code != 999 and attempts <= retries_5xx:
                await asyncio.sleep(backoff_s * 2 ** (attempts - 1))
                response = await _request(client, "GET", url, allow_private)
                attempts += 1
        except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError, netguard.InvalidAddress,
                netguard.UnresolvedHost, PrivateHop, TooManyRedirects) as exc:
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
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, LinkResult]:
    """check_urls for callers already inside an event loop."""
    unique = _dedupe(urls)
    if not unique:
        return {}
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}
    async with httpx.AsyncClient(
        follow_redirects=False,  # followed by hand, each hop guarded
        trust_env=False,  # never through a proxy: the checked address is the one connected to
        timeout=httpx.Timeout(timeout_s),
        headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
        limits=httpx.Limits(max_connections=concurrency),
        verify=verify,
        transport=transport,
    ) as client:
        tasks = []
        for url in unique:
            # Keyed by host name whatever the port: the politeness is owed to the machine.
            limits = (overall, hosts.setdefault(_host(url), asyncio.Semaphore(per_host)))
            tasks.append(_check_one(client, url, limits, timeout_s, retries_5xx, backoff_s, allow_private))
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
    allow_private: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, LinkResult]:
    """Check each URL over HTTP, blocking; timeout_s is per request, backoff_s doubles per retry. Links to private
    or local addresses (and redirects to them) are not fetched unless allow_private; `transport` replaces httpx's
    (the network) for tests."""
    args = (urls, timeout_s, per_host, concurrency, retries_5xx, backoff_s, verify, allow_private, transport)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(check_urls_async(*args))
    # Called from inside a running loop (e.g. an async worker): asyncio.run would refuse, so use a thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, check_urls_async(*args)).result()
