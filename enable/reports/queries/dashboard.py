"""Figures for the home-page panels: this week's usage, top search gaps, and the team's recent deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.reports.filters import Scope
from enable.reports.queries.outcomes import GroupFigures, closed_deals, figures, main_currency
from enable.reports.queries.search_gaps import SearchGap, search_gaps
from enable.reports.queries.usage import ItemUsage, usage_per_item
from enable.usage import UsageEvent


@dataclass(frozen=True)
class WeekPanel:
    views: int
    plays: int
    users: int
    previous_total: int  # views + plays in the seven days before
    top: list[ItemUsage]


def usage_this_week(today: date, top: int = 3) -> WeekPanel:
    """Views, plays and people over the last seven days (today included), and the most used items."""
    week = Scope(today - timedelta(days=6), today)
    before = Scope(today - timedelta(days=13), today - timedelta(days=7))
    items = usage_per_item(week)
    users = db.session.scalar(select(func.count(func.distinct(UsageEvent.user_id)))
                              .where(*week.time_conditions(UsageEvent.created_at))) or 0
    previous = sum(i.views + i.plays for i in usage_per_item(before))
    return WeekPanel(sum(i.views for i in items), sum(i.plays for i in items), users, previous, items[:top])


def top_search_gaps(today: date, days: int = 30, top: int = 5) -> list[SearchGap]:
    """The most searched queries with few or no results over the last `days` days."""
    return search_gaps(Scope(today - timedelta(days=days - 1), today)).gaps[:top]


@dataclass(frozen=True)
class TeamDealsPanel:
    days: int
    closed: GroupFigures
    open_deals: int


def team_deals(team_ids: frozenset[int] | None, today: date, days: int = 90) -> TeamDealsPanel:
    """Won and lost deals of these teams (None: all) closed in the last `days` days, and their open deals."""
    scope = Scope(today - timedelta(days=days - 1), today, team_ids)
    deals = closed_deals(scope)
    open_stmt = select(func.count(Deal.id)).where(Deal.outcome == DealOutcome.OPEN)
    members = scope.member_ids()
    if members is not None:
        open_stmt = open_stmt.where(Deal.owner_id.in_(members))
    return TeamDealsPanel(days, figures(deals, main_currency(deals)), db.session.scalar(open_stmt) or 0)
