"""The list of reports on the reports page; each report module's view registers itself here."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString

from enable.auth.models import Role


@dataclass(frozen=True)
class ReportInfo:
    """A report's endpoint, title and one-line summary, and the least role that may open it."""

    endpoint: str
    title: LazyString | str
    summary: LazyString | str
    role: Role
    order: int


REPORTS: list[ReportInfo] = []


def register_report(endpoint: str, title: LazyString | str, summary: LazyString | str, *, role: Role = Role.MANAGER,
                    order: int = 50) -> None:
    """List a report (its view is `endpoint`) on the reports page."""
    if all(r.endpoint != endpoint for r in REPORTS):
        REPORTS.append(ReportInfo(endpoint, title, summary, role, order))
        REPORTS.sort(key=lambda r: r.order)
