"""Report 1, content usage: views, plays and people per bite, playlist, playbook and asset; weekly trend; unused."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Date, case, cast, distinct, func, select

from enable.deals import content
from enable.extensions import db
from enable.reports.charts import LineChart, line_chart
from enable.reports.filters import Scope
from enable.reports.tables import Column, Table, count
from enable.usage import UsageEvent, UsageKind

PLAY_KINDS = (UsageKind.PLAY, UsageKind.PLAYLIST_PLAY)
VIEW_KINDS = (UsageKind.VIEW,)
MAX_WEEKS = 157  # three years of weekly points; longer ranges start at the most recent of them
NEVER_USED_LIMIT = 500  # per content type


@dataclass
class ItemUsage:
    """Usage of one content item in the scope."""

    item_type: str
    item_id: int
    title: str = ""
    views: int = 0
    plays: int = 0
    downloads: int = 0
    used_on_deals: int = 0
    shares: int = 0
    users: int = 0
    last_at: datetime | None = None

    @property
    def total(self) -> int:
        return self.views + self.plays + self.downloads + self.used_on_deals + self.shares


@dataclass(frozen=True)
class WeekUsage:
    """Usage in the week starting on a Monday."""

    week: date
    views: int
    plays: int
    users: int


@dataclass(frozen=True)
class UnusedItem:
    item_type: str
    item_id: int
    title: str


@dataclass
class UsageReport:
    items: list[ItemUsage]
    weeks: list[WeekUsage]
    never_used: list[UnusedItem]
    users: int  # distinct people with any usage in the scope
    by_type: dict[str, int] = field(default_factory=dict)  # events per content type

    @property
    def views(self) -> int:
        return sum(i.views for i in self.items)

    @property
    def plays(self) -> int:
        return sum(i.plays for i in self.items)

    def tables(self) -> dict[str, Table]:
        items = Table("items", _("Usage per item"), link_column=1, columns=[
            Column(_("Type")), Column(_("Item"), wide=True), Column(_("Views"), True), Column(_("Plays"), True),
            Column(_("Downloads"), True), Column(_("Used on deals"), True), Column(_("Shares"), True),
            Column(_("Unique users"), True), Column(_("Last used")),
        ])
        for i in self.items:
            items.add([content.type_label(i.item_type), i.title, count(i.views), count(i.plays), count(i.downloads),
                       count(i.used_on_deals), count(i.shares), count(i.users),
                       i.last_at.date().isoformat() if i.last_at else ""],
                      content.item_url(i.item_type, i.item_id))
        weeks = Table("weeks", _("Usage per week"), [
            Column(_("Week starting")), Column(_("Views"), True), Column(_("Plays"), True),
            Column(_("Unique users"), True)])
        for w in self.weeks:
            weeks.add([w.week.isoformat(), count(w.views), count(w.plays), count(w.users)])
        unused = Table("unused", _("Content never used"), link_column=1,
                       columns=[Column(_("Type")), Column(_("Item"), wide=True)])
        for u in self.never_used:
            unused.add([content.type_label(u.item_type), u.title], content.item_url(u.item_type, u.item_id))
        return {t.name: t for t in (items, weeks, unused)}

    def trend_chart(self) -> LineChart:
        labels = [w.week.isoformat() for w in self.weeks]
        return line_chart(labels, [(_("Views"), [w.views for w in self.weeks]),
                                   (_("Plays"), [w.plays for w in self.weeks]),
                                   (_("Unique users"), [w.users for w in self.weeks])], y_label=_("per week"),
                          max_x_labels=6)


def _conditions(scope: Scope) -> list:
    conds = [UsageEvent.item_type.in_(list(content.CONTENT_TYPES)), *scope.time_conditions(UsageEvent.created_at)]
    members = scope.member_ids()
    if members is not None:
        conds.append(UsageEvent.user_id.in_(members))
    return conds


def usage_per_item(scope: Scope) -> list[ItemUsage]:
    """Counts per kind, people and last use per content item in the scope, most used first."""
    def tally(kinds: tuple[UsageKind, ...]):
        return func.sum(case((UsageEvent.kind.in_(kinds), 1), else_=0))

    items: dict[tuple[str, int], ItemUsage] = {}
    rows = db.session.execute(
        select(UsageEvent.item_type, UsageEvent.item_id, tally(VIEW_KINDS), tally(PLAY_KINDS),
               tally((UsageKind.DOWNLOAD,)), tally((UsageKind.USED_ON_DEAL,)), tally((UsageKind.SHARE,)),
               func.count(distinct(UsageEvent.user_id)), func.max(UsageEvent.created_at))
        .where(*_conditions(scope)).group_by(UsageEvent.item_type, UsageEvent.item_id))
    for item_type, item_id, views, plays, downloads, used, shares, users, last in rows:
        items[(item_type, item_id)] = ItemUsage(item_type, item_id, views=views or 0, plays=plays or 0,
                                                downloads=downloads or 0, used_on_deals=used or 0,
                                                shares=shares or 0, users=users, last_at=last)
    for item_type in {t for t, _i in items}:
        names = content.titles(item_type, [i for t, i in items if t == item_type])
        for (t, i), item in items.items():
            if t == item_type:
                item.title = names.get(i) or _("(removed %(type)s %(id)s)", type=content.type_label(t), id=i)
    return sorted(items.values(), key=lambda i: (-i.total, -i.users, i.title.lower()))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _utc_day(column: Any) -> Any:
    """The UTC calendar day of a timestamp column, computed by the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)  # SQLite keeps UTC timestamps as ISO text


def _per_week(scope: Scope, today: date) -> list[WeekUsage]:
    day = _utc_day(UsageEvent.created_at).label("day")
    rows = db.session.execute(
        select(day, UsageEvent.user_id, func.sum(case((UsageEvent.kind.in_(VIEW_KINDS), 1), else_=0)),
               func.sum(case((UsageEvent.kind.in_(PLAY_KINDS), 1), else_=0)))
        .where(*_conditions(scope), UsageEvent.kind.in_([*VIEW_KINDS, *PLAY_KINDS]))
        .group_by(day, UsageEvent.user_id))
    views: dict[date, int] = defaultdict(int)
    plays: dict[date, int] = defaultdict(int)
    users: dict[date, set[int]] = defaultdict(set)
    for raw_day, user_id, day_views, day_plays in rows:
        week = _monday(raw_day if isinstance(raw_day, date) else date.fromisoformat(raw_day))
        views[week] += day_views or 0
        plays[week] += day_plays or 0
        if user_id is not None:
            users[week].add(user_id)
    first = _monday(scope.start) if scope.start else min(views.keys() | plays.keys(), default=_monday(today))
    last = _monday(scope.end or today)
    first = max(first, last - timedelta(weeks=MAX_WEEKS - 1))
    weeks = []
    week = first
    while week <= last:
        weeks.append(WeekUsage(week, views[week], plays[week], len(users[week])))
        week += timedelta(weeks=1)
    return weeks


def _never_used(scope: Scope) -> list[UnusedItem]:
    found: list[UnusedItem] = []
    members = scope.member_ids()
    for item_type in content.CONTENT_TYPES:
        live = content.live_ids_select(item_type)
        model = content.model_for(item_type)
        if live is None or model is None:
            continue
        used = select(UsageEvent.item_id).where(UsageEvent.item_type == item_type)
        if members is not None:
            used = used.where(UsageEvent.user_id.in_(members))
        ids = list(db.session.scalars(live.where(model.id.not_in(used)).order_by(model.id).limit(NEVER_USED_LIMIT)))
        names = content.titles(item_type, ids)
        found.extend(UnusedItem(item_type, i, names.get(i, str(i))) for i in ids)
    return found


def content_usage(scope: Scope, today: date) -> UsageReport:
    """Usage per item and per week in the scope, and live content nobody in the scope's teams has ever used."""
    items = usage_per_item(scope)
    people = select(func.count(distinct(UsageEvent.user_id))).where(*_conditions(scope))
    by_type: dict[str, int] = defaultdict(int)
    for i in items:
        by_type[i.item_type] += i.total
    return UsageReport(items=items, weeks=_per_week(scope, today), never_used=_never_used(scope),
                       users=db.session.scalar(people) or 0, by_type=dict(by_type))
