"""Each user's email choice per kind of notification: at once, in the daily digest, or off."""

from __future__ import annotations

from sqlalchemy import select

from enable.auth.models import User
from enable.extensions import db
from enable.notifications.kinds import KINDS, DeliveryMode, kind_of
from enable.notifications.models import EmailPreference


def modes_of(user_id: int) -> dict[str, str]:
    """The user's email choice for every registered kind (their own, else the kind's default)."""
    chosen = {p.kind: p.mode for p in db.session.scalars(select(EmailPreference)
                                                         .where(EmailPreference.user_id == user_id))}
    return {k.name: chosen.get(k.name, k.default) for k in KINDS}


def mode_for(user_id: int, kind: str) -> str:
    """How this user gets notifications of `kind` by email (an unknown kind: their choice for other ones)."""
    name = kind_of(kind).name
    chosen = db.session.scalar(select(EmailPreference.mode).where(EmailPreference.user_id == user_id,
                                                                  EmailPreference.kind == name))
    return chosen if chosen in DeliveryMode.ALL else kind_of(kind).default


def set_modes(user: User, modes: dict[str, str]) -> None:
    """Store the user's choices (registered kinds and known modes only; others are ignored). The caller commits."""
    stored = {p.kind: p for p in db.session.scalars(select(EmailPreference)
                                                    .where(EmailPreference.user_id == user.id))}
    for kind in KINDS:
        mode = modes.get(kind.name)
        if mode not in DeliveryMode.ALL:
            continue
        if kind.name in stored:
            stored[kind.name].mode = mode
        elif mode != kind.default:  # a default left alone follows the default (should it change later)
            db.session.add(EmailPreference(user_id=user.id, kind=kind.name, mode=mode))


def modes_by_user(user_ids: list[int]) -> dict[int, dict[str, str]]:
    """modes_of() for many users at once (one query)."""
    found: dict[int, dict[str, str]] = {uid: {} for uid in user_ids}
    if user_ids:
        for p in db.session.scalars(select(EmailPreference).where(EmailPreference.user_id.in_(user_ids))):
            found[p.user_id][p.kind] = p.mode
    return {uid: {k.name: chosen.get(k.name, k.default) for k in KINDS} for uid, chosen in found.items()}


def mode_in(modes: dict[str, str], kind: str) -> str:
    """The mode of `kind` in a modes_of() mapping (an unknown kind: the mode of other ones)."""
    return modes.get(kind_of(kind).name, kind_of(kind).default)
