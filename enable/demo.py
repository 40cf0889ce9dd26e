"""`flask demo load`: demo users for every role, then each capability's demo data; safe to run again."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import with_appcontext

from enable.auth import services as accounts
from enable.auth.models import Role, User
from enable.extensions import db

DEMO_PASSWORD = "enable-demo"  # noqa: S105  the demo binds to 127.0.0.1; change these accounts before exposing a site
DEMO_TEAM = "Demo Sales Team"
DEMO_USERS = [
    ("rep@example.test", "Riley Rep", Role.REP),
    ("newhire@example.test", "Noah New-Hire", Role.REP),
    ("manager@example.test", "Morgan Manager", Role.MANAGER),
    ("enablement@example.test", "Elena Enablement", Role.ENABLEMENT),
    ("admin@example.test", "Alex Admin", Role.ADMIN),
]

VETERAN_REP = "rep@example.test"
VETERAN_HIRED_DAYS_AGO = 400  # the learning demo step certifies this rep 345 days ago

# Capabilities add steps that build their demo data (sample calls, playbooks, deals, usage history).
DemoStep = Callable[[dict[str, User]], str | None]
DEMO_STEPS: list[tuple[str, DemoStep]] = []


def register_demo_step(name: str, step: DemoStep) -> None:
    """Run `step(users_by_email)` during `flask demo load`, after the steps registered before it."""
    if name not in {n for n, _ in DEMO_STEPS}:
        DEMO_STEPS.append((name, step))


def ensure_demo_users() -> dict[str, User]:
    """Create the demo team and users when missing; return them by email."""
    from datetime import date, timedelta

    team = accounts.get_or_create_team(DEMO_TEAM)
    users: dict[str, User] = {}
    for email, name, role in DEMO_USERS:
        user = accounts.get_user_by_email(email)
        if user is None:
            hired = date.today() - timedelta(days=10) if email.startswith("newhire") else None
            user = accounts.create_user(email=email, name=name, password=DEMO_PASSWORD, role=role,
                                        team=team if role in (Role.REP, Role.MANAGER) else None, hired_on=hired)
            if email == VETERAN_REP:
                # Hired long ago (set after creation, so no onboarding track is assigned): the onboarding
                # report's ramp shows days to certification and to the first won deal for someone.
                user.hired_on = date.today() - timedelta(days=VETERAN_HIRED_DAYS_AGO)
        users[email] = user
    if team.manager_id is None:
        team.manager = users["manager@example.test"]
    db.session.flush()
    return users


@click.group("demo")
def demo_cli() -> None:
    """Demo data for trying Enable out."""


@demo_cli.command("load")
@with_appcontext
def load_command() -> None:
    """Create demo users for every role and each capability's demo data."""
    users = ensure_demo_users()
    db.session.commit()
    for name, step in DEMO_STEPS:
        message = step(users)
        db.session.commit()
        click.echo(f"demo {name}: {message or 'done'}")
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for email, name, role in DEMO_USERS:
        click.echo(f"  {role.label:<16} {email:<28} {name}")


def init_app(app: Flask) -> None:
    """Register `flask demo`."""
    app.cli.add_command(demo_cli)
