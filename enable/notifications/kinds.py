"""The kinds of notification: each with its label, and how it goes by email unless the user chose otherwise.

A kind not listed here (a capability added one and this registry does not know it yet) is treated as OTHER: the
user's choice for "other notifications" applies, by default the daily digest, so nothing floods an inbox and
nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l


class DeliveryMode:
    """How a kind of notification goes by email."""

    INSTANT = "instant"  # one mail at once
    DIGEST = "digest"  # listed in the day's summary mail
    OFF = "off"  # only behind the bell

    ALL = (INSTANT, DIGEST, OFF)


MODE_LABELS = {
    DeliveryMode.INSTANT: _l("At once"),
    DeliveryMode.DIGEST: _l("Daily digest"),
    DeliveryMode.OFF: _l("Off"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any  # a lazy translated string
    default: str  # a DeliveryMode


OTHER = "other"

KINDS: tuple[Kind, ...] = (
    Kind("mention", _l("Someone mentioned you"), DeliveryMode.INSTANT),
    Kind("comment_reply", _l("A reply to your comment"), DeliveryMode.INSTANT),
    Kind("feedback_request", _l("A rep asks for your feedback on a call"), DeliveryMode.INSTANT),
    Kind("call_scored", _l("Your call was scored"), DeliveryMode.INSTANT),
    Kind("step_due", _l("A learning step is due soon"), DeliveryMode.DIGEST),
    Kind("step_overdue", _l("A learning step is overdue"), DeliveryMode.DIGEST),
    Kind("certification_expiring", _l("Your certification expires soon"), DeliveryMode.DIGEST),
    Kind("certification_expired", _l("Your certification expired"), DeliveryMode.INSTANT),
    Kind("playbook_ack", _l("A playbook change to acknowledge"), DeliveryMode.INSTANT),
    Kind("stale", _l("Content you own is due for review"), DeliveryMode.DIGEST),
    Kind("link_broken", _l("A link in content you own broke"), DeliveryMode.DIGEST),
    Kind(OTHER, _l("Other notifications"), DeliveryMode.DIGEST),
)

BY_NAME = {kind.name: kind for kind in KINDS}


def kind_of(name: str) -> Kind:
    """The registered kind, or OTHER for a name this registry does not know."""
    return BY_NAME.get(name, BY_NAME[OTHER])


def label_of(name: str) -> str:
    """The translated label of a kind (OTHER's for unknown names)."""
    return str(kind_of(name).label)
