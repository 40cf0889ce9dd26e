"""`flask users ...` commands."""

from __future__ import annotations

from datetime import datetime

import click

from enable.auth import bp
from enable.auth import services as accounts
from enable.auth.models import Role
from enable.errors import UserError
from enable.extensions import db


def parse_iso_date(ctx: click.Context, param: click.Parameter, value: str | None):
    """Click callback: a YYYY-MM-DD option value as a date (None stays None)."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as e:
        raise click.BadParameter(f"'{value}' is not a date in the form YYYY-MM-DD") from e


@bp.cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.REP.value, show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--team", default=None, help="Team name; created when missing.")
@click.option("--hired", default=None, callback=parse_iso_date, help="Hire date, YYYY-MM-DD.")
def create(email: str, name: str, role: str, password: str, team: str | None, hired) -> None:
    """Create a user account."""
    try:
        user = accounts.create_user(email=email, name=name, password=password, role=Role(role),
                                    team=accounts.get_or_create_team(team) if team else None, hired_on=hired)
        from enable.learning.tracks import assign_default_track  # onboarding of new hires (issue 6)

        assign_default_track(user)
    except UserError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    db.session.commit()
    click.echo(f"created user {user.id} {user.email} ({user.role.value})")


@bp.cli.command("list")
def list_() -> None:
    """List user accounts."""
    for user in accounts.list_users():
        state = "" if user.is_active else " (inactive)"
        team = user.team.name if user.team else "-"
        click.echo(f"{user.id}\t{user.email}\t{user.name}\t{user.role.value}\t{team}{state}")
