"""Where a webhook may go: the shared outbound guard (enable.netguard) with the webhooks' own messages, and
WEBHOOK_ALLOW_PRIVATE as the switch for private receivers."""

from __future__ import annotations

from flask_babel import gettext as _

from enable import netguard
from enable.netguard import InvalidAddress, IPAddress, Target, UnresolvedHost, is_public, mask

InvalidEndpoint = InvalidAddress  # the URL, events or secret of an endpoint are not acceptable

__all__ = ["InvalidEndpoint", "IPAddress", "RefusedAddress", "Target", "UnresolvedHost", "is_public", "mask", "parse",
           "resolve"]


class RefusedAddress(InvalidEndpoint):
    """The receiver's host is (or resolves to) an address inside a private or special network."""


def parse(url: str) -> Target:
    """The checked parts of a receiver URL (netguard.parse), or InvalidEndpoint."""
    try:
        return netguard.parse(url)
    except netguard.CredentialsInAddress:
        raise InvalidEndpoint(_("Leave user names and passwords out of the address; the signature proves the "
                                "sender.")) from None


def resolve(target: Target, allow_private: bool) -> list[IPAddress]:
    """The receiver's checked addresses (netguard.resolve); RefusedAddress when one is private and that is not
    allowed, UnresolvedHost when the name has no address."""
    try:
        return netguard.resolve(target, allow_private)
    except netguard.PrivateAddress as e:
        raise RefusedAddress(_("This address leads into a private or local network (%(host)s), where webhooks are "
                               "not sent; an operator may allow it with WEBHOOK_ALLOW_PRIVATE.", host=e.host)) from None
