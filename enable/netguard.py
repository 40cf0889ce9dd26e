"""The guard of every outbound request (webhooks, the link checker) against server-side request forgery.

A URL is checked (scheme, host, port, IDNA), its host resolved once, and refused when any of its addresses is
loopback, private, link-local, reserved, multicast, shared (carrier NAT) or unspecified (IPv4 mapped into IPv6 is
judged as IPv4; spellings such as 127.1, 2130706433 or 0x7f000001 resolve to what they mean), unless the caller
allows private targets. The request then connects to the very address that was checked (the host name goes in the
Host header and TLS SNI), so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
redirect it; a caller following redirects checks every hop the same way.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import idna
from flask_babel import gettext as _

from enable.errors import UserError

MAX_URL_CHARS = 2000
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\Z")  # one DNS label, ASCII (after IDNA)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class InvalidAddress(UserError):
    """The URL (or, for a webhook endpoint, its events or secret) is not acceptable; `field` names the form field."""

    def __init__(self, message: str, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


class CredentialsInAddress(InvalidAddress):
    """The URL carries a user name or password."""


class PrivateAddress(InvalidAddress):
    """The host is (or resolves to) an address inside a private or special network; `host` is the host name."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(message)
        self.host = host


class UnresolvedHost(Exception):
    """The host name has no address right now (DNS failure)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: its parts with the host in ASCII (IDNA) form, and the port made explicit."""

    scheme: str
    host: str  # ASCII host name, or an IP address without brackets
    port: int
    path: str  # path and query, at least "/"
    default_port: bool

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.default_port else f"{host}:{self.port}"

    def url_for(self, address: IPAddress) -> str:
        """The URL with the host replaced by `address` (what is actually connected to)."""
        host = f"[{address}]" if address.version == 6 else str(address)
        return urlunsplit((self.scheme, f"{host}:{self.port}", self.path, "", ""))


def _bad_url() -> InvalidAddress:
    return InvalidAddress(_("Give a web address starting with https:// (or http://), such as "
                             "https://crm.example.com/hooks/enable."))


def _ascii_host(host: str) -> str:
    """The host as an IP address string or an ASCII (IDNA-encoded) name; InvalidAddress when it is neither."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            raise _bad_url() from None
    host = host.lower()
    labels = host.removesuffix(".").split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _bad_url()
    for label in labels:
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError, ValueError):
                raise _bad_url() from None
    return host


def parse(url: str) -> Target:
    """The checked parts of a URL, or InvalidAddress: http(s) only, a valid host (IP or name, IDNA
    encoded), a port from 1 to 65535, no credentials, no spaces or control characters, at most 2000 characters."""
    if len(url) > MAX_URL_CHARS:
        raise InvalidAddress(_("The address is too long (at most 2000 characters)."))
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise _bad_url()
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError:  # e.g. http://[::1 or a port out of range
        raise _bad_url() from None
    if parts.scheme not in ("http", "https") or not hostname:
        raise _bad_url()
    if "@" in parts.netloc:
        raise CredentialsInAddress(_("Leave user names and passwords out of the address."))
    if port == 0:
        raise _bad_url()
    default = 443 if parts.scheme == "https" else 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, _ascii_host(hostname), port or default, path, port in (None, default))


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet: not loopback, private, link-local, reserved, multicast, shared
    or unspecified (IPv4 mapped into IPv6 is judged as the IPv4 address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_loopback or address.is_private or address.is_link_local
                                      or address.is_reserved or address.is_multicast or address.is_unspecified)


def resolve(target: Target, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to, in resolver order; PrivateAddress when any of them is not public (and private
    ones are not allowed), UnresolvedHost when the name has no address. Blocks while resolving."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        raise UnresolvedHost(f"could not resolve {target.host}: {e}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvedHost(f"could not resolve {target.host}")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise PrivateAddress(_("This address leads into a private or local network (%(host)s).", host=target.host),
                             target.host)
    return addresses


def mask(url: str) -> str:
    """The URL with its path and query hidden (they often carry a token, as Slack-style URLs do): for audit logs."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
    except ValueError:
        return "(invalid address)"
    rest = (parts.path or "").strip("/") or parts.query
    return f"{parts.scheme}://{netloc}/" + ("…" if rest else "")
