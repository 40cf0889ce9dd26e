"""Deals: who may see which, the deal page's calls and content, linking calls, and marking content used on a deal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from enable.audit import record
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.calls.models import Call
from enable.deals import content
from enable.deals.models import Deal, DealOutcome
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.usage import UsageEvent, UsageKind, record_usage

# Plays, views and the rest count for a deal when they carry its id; these are the kinds shown per item.
SHOWN_KINDS = (UsageKind.USED_ON_DEAL, UsageKind.PLAY, UsageKind.PLAYLIST_PLAY, UsageKind.VIEW, UsageKind.DOWNLOAD)


class DealNotFound(UserError):
    """No deal has this id."""

    status_code = 404


class ItemNotFound(UserError):
    """The content item named in a request does not exist."""

    status_code = 404


def can_see_all_deals(user: User) -> bool:
    """Managers and above see every deal; reps see the deals they own."""
    return user.has_role(Role.MANAGER)


def can_link_calls(user: User) -> bool:
    """Enablement leads and admins link calls to deals."""
    return user.has_role(Role.ENABLEMENT)


def get_deal(user: User, deal_id: int) -> Deal:
    """The deal, if this user may see it; raise DealNotFound or NotAllowed."""
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        raise DealNotFound(_("This deal does not exist; it may have been removed from the CRM export."))
    if not (can_see_all_deals(user) or deal.owner_id == user.id):
        raise NotAllowed(_("You can only open the deals you own."))
    return deal


@dataclass(frozen=True)
class DealFilters:
    """What the deals list is narrowed to."""

    q: str = ""
    outcome: DealOutcome | None = None
    owner_id: int | None = None


def deals_select(user: User, filters: DealFilters) -> Select:
    """The deals this user may see, narrowed by the filters, newest close date first."""
    stmt = select(Deal).options(selectinload(Deal.owner))
    if not can_see_all_deals(user):
        stmt = stmt.where(Deal.owner_id == user.id)
    elif filters.owner_id:
        stmt = stmt.where(Deal.owner_id == filters.owner_id)
    if filters.outcome:
        stmt = stmt.where(Deal.outcome == filters.outcome)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Deal.name).like(like), func.lower(Deal.account).like(like),
                              func.lower(Deal.external_id).like(like)))
    return stmt.order_by(Deal.close_on.is_(None), Deal.close_on.desc(), Deal.id.desc())


def call_counts(deal_ids: list[int]) -> dict[int, int]:
    """How many calls are linked to each of these deals (deals with none are left out)."""
    if not deal_ids:
        return {}
    rows = db.session.execute(select(Call.deal_id, func.count(Call.id)).where(Call.deal_id.in_(deal_ids))
                              .group_by(Call.deal_id))
    return {deal_id: n for deal_id, n in rows if deal_id is not None}


def deal_owners() -> list[User]:
    """Users who own at least one deal, by name (for the owner filter)."""
    return list(db.session.scalars(select(User).where(User.id.in_(select(Deal.owner_id))).order_by(User.name)))


@dataclass
class UsedItem:
    """One piece of content used on a deal, with how: counts per usage kind, people, and the last time."""

    item_type: str
    item_id: int
    title: str
    url: str
    counts: dict[str, int] = field(default_factory=dict)
    people: int = 0
    last_at: datetime | None = None

    @property
    def type_label(self) -> str:
        return content.type_label(self.item_type)


def content_used_on(deal: Deal) -> list[UsedItem]:
    """Every content item with usage events carrying this deal's id, most recently used first."""
    rows = db.session.execute(
        select(UsageEvent.item_type, UsageEvent.item_id, UsageEvent.kind, func.count(UsageEvent.id),
               func.max(UsageEvent.created_at))
        .where(UsageEvent.deal_id == deal.id).group_by(UsageEvent.item_type, UsageEvent.item_id, UsageEvent.kind)
    ).all()
    people = dict(((t, i), n) for t, i, n in db.session.execute(
        select(UsageEvent.item_type, UsageEvent.item_id, func.count(func.distinct(UsageEvent.user_id)))
        .where(UsageEvent.deal_id == deal.id).group_by(UsageEvent.item_type, UsageEvent.item_id)))
    items: dict[tuple[str, int], UsedItem] = {}
    for item_type, item_id, kind, n, last in rows:
        item = items.get((item_type, item_id))
        if item is None:
            item = items[(item_type, item_id)] = UsedItem(item_type, item_id, "", content.item_url(item_type, item_id),
                                                          people=people.get((item_type, item_id), 0))
        item.counts[UsageKind(kind).value] = n
        item.last_at = max(filter(None, (item.last_at, last)), default=None)
    for item_type in {t for t, _i in items}:
        names = content.titles(item_type, [i for t, i in items if t == item_type])
        for (t, i), item in items.items():
            if t == item_type:
                item.title = names.get(i) or _("(removed %(type)s %(id)s)", type=content.type_label(t), id=i)
    return sorted(items.values(), key=lambda it: it.last_at.timestamp() if it.last_at else 0.0, reverse=True)


def calls_of(deal: Deal) -> list[Call]:
    """The calls linked to a deal, with their bites, oldest first."""
    return list(db.session.scalars(
        select(Call).where(Call.deal_id == deal.id).options(selectinload(Call.bites), selectinload(Call.rep))
        .order_by(Call.call_date.is_(None), Call.call_date, Call.id)))


def linkable_calls(deal: Deal, limit: int = 300) -> list[Call]:
    """Recent calls not yet linked to this deal (for the link-a-call select)."""
    return list(db.session.scalars(
        select(Call).where(or_(Call.deal_id.is_(None), Call.deal_id != deal.id))
        .order_by(Call.created_at.desc(), Call.id.desc()).limit(limit)))


def link_call(deal: Deal, call_id: int, *, actor: User) -> Call:
    """Link a call to a deal (moving it from any other deal); the caller commits and re-indexes its bites."""
    call = db.session.get(Call, call_id)
    if call is None:
        raise UserError(_("Choose a call to link to this deal."))
    previous = call.deal_id
    call.deal_id = deal.id
    db.session.flush()
    record(actor, "deal.link_call", deal, {"call_id": call.id, "previous_deal_id": previous})
    return call


def unlink_call(deal: Deal, call_id: int, *, actor: User) -> Call:
    """Remove the link between a call and this deal; the caller commits and re-indexes its bites."""
    call = db.session.get(Call, call_id)
    if call is None or call.deal_id != deal.id:
        raise UserError(_("This call is not linked to this deal."))
    call.deal_id = None
    db.session.flush()
    record(actor, "deal.unlink_call", deal, {"call_id": call.id})
    return call


def bites_of_calls(call_ids: list[int]) -> list[Bite]:
    """The bites of the given calls (to re-index after a deal link or outcome changes)."""
    if not call_ids:
        return []
    return list(db.session.scalars(select(Bite).where(Bite.call_id.in_(call_ids))))


def call_ids_of_deals(deal_ids: list[int]) -> list[int]:
    """The ids of the calls linked to the given deals."""
    if not deal_ids:
        return []
    return list(db.session.scalars(select(Call.id).where(Call.deal_id.in_(deal_ids))))


def markable_items(limit_per_type: int = 200) -> dict[str, list[tuple[int, str]]]:
    """Live content per type (playbooks, assets, playlists, bites) that can be marked as used on a deal."""
    order = ("playbook", "asset", "playlist", "bite")
    return {t: items for t in order if t in content.CONTENT_TYPES
            if (items := content.live_items(t, limit_per_type))}


def mark_used(user: User, item_type: str, item_id: int, deal_id: int, *, now: datetime) -> tuple[UsageEvent, bool]:
    """Record that this user used a content item on a deal; returns (event, True when newly recorded)."""
    deal = db.session.get(Deal, deal_id)
    if deal is None:
        raise DealNotFound(_("This deal does not exist; it may have been removed from the CRM export."))
    if not (can_see_all_deals(user) or deal.owner_id == user.id):
        raise NotAllowed(_("You can mark content as used only on the deals you own."))
    if item_type not in content.CONTENT_TYPES or not content.exists(item_type, item_id):
        raise ItemNotFound(_("This content does not exist any more."))
    earlier = db.session.scalar(select(UsageEvent).where(
        UsageEvent.user_id == user.id, UsageEvent.kind == UsageKind.USED_ON_DEAL, UsageEvent.deal_id == deal.id,
        UsageEvent.item_type == item_type, UsageEvent.item_id == item_id))
    if earlier is not None:
        return earlier, False
    event = record_usage(user, UsageKind.USED_ON_DEAL, item_type, item_id, deal_id=deal.id)
    event.created_at = now
    db.session.flush()
    return event, True
