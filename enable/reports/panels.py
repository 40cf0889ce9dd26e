"""Home-page panels: usage this week and top search gaps (enablement), and the team's deals (managers)."""

from __future__ import annotations

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.main.dashboard import Panel, add_panel
from enable.reports.filters import allowed_team_ids
from enable.reports.queries.dashboard import team_deals, top_search_gaps, usage_this_week


def usage_panel(user: User) -> Panel:
    """This week's views, plays and people, and the most used content."""
    return Panel("reports/panels/usage.html", {"week": usage_this_week(utcnow().date())}, order=40)


def gaps_panel(user: User) -> Panel:
    """The most searched queries that find little."""
    return Panel("reports/panels/gaps.html", {"gaps": top_search_gaps(utcnow().date())}, order=45)


def team_deals_panel(user: User) -> Panel:
    """Won and lost deals of the manager's teams over the last 90 days."""
    team_ids = allowed_team_ids(user)
    return Panel("reports/panels/team_deals.html",
                 {"deals": team_deals(team_ids, utcnow().date()), "all_teams": team_ids is None}, order=30)


add_panel(Role.ENABLEMENT, usage_panel)
add_panel(Role.ENABLEMENT, gaps_panel)
add_panel(Role.MANAGER, team_deals_panel)
