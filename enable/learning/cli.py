"""`flask learning ...`: assign tracks, show a person's progress, ramp times, resolve pending references."""

from __future__ import annotations

import click
from sqlalchemy import select

from enable.auth import services as accounts
from enable.auth.cli import parse_iso_date
from enable.auth.models import Team
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.learning import bp, certifications, content, overview, tracks
from enable.learning.models import Track


@bp.cli.command("assign")
@click.argument("track_slug")
@click.option("--user", "emails", multiple=True, help="Email of a person to assign; repeatable.")
@click.option("--team", "team_names", multiple=True, help="Name of a team whose members to assign; repeatable.")
@click.option("--start", default=None, callback=parse_iso_date, help="Start date, YYYY-MM-DD (default today).")
def assign(track_slug: str, emails: tuple[str, ...], team_names: tuple[str, ...], start) -> None:
    """Assign a track to people and whole teams."""
    track = db.session.scalar(select(Track).where(Track.slug == track_slug))
    if track is None:
        raise click.ClickException(f"no track '{track_slug}'")
    user_ids = []
    for email in emails:
        user = accounts.get_user_by_email(email)
        if user is None:
            raise click.ClickException(f"no user with the email {email}")
        user_ids.append(user.id)
    team_ids = []
    for name in team_names:
        team = db.session.scalar(select(Team).where(Team.name == name))
        if team is None:
            raise click.ClickException(f"no team named '{name}'")
        team_ids.append(team.id)
    people = tracks.people_to_assign(user_ids, team_ids)
    if not people:
        raise click.ClickException("name people (--user) or teams (--team) to assign the track to")
    now = utcnow()
    try:
        made = tracks.assign_track(track, people, start=start or now.date(), actor=None, now=now)
    except UserError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from e
    db.session.commit()
    click.echo(f"assigned '{track.slug}' to {len(made)} people ({len(people) - len(made)} already had it)")


@bp.cli.command("progress")
@click.argument("email")
def progress(email: str) -> None:
    """Show a person's tracks, certifications and reviews due."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with the email {email}")
    now = utcnow()
    view = overview.learner_view(user, now)
    db.session.commit()
    for a in view.assignments:
        state = f"completed {a.assignment.completed_at:%Y-%m-%d}" if a.assignment.completed_at else (
            f"{a.progress.overdue} overdue")
        click.echo(f"track\t{a.assignment.track.slug}\t{a.progress.percent}%\t{a.progress.done}/{a.progress.total}"
                   f"\t{state}")
    for award in view.awards:
        flag = " needs attention" if award.needs_attention else ""
        click.echo(f"certification\t{award.award.certification.slug}\t{award.status.value}{flag}"
                   f"\texpires {award.award.expires_at:%Y-%m-%d}")
    click.echo(f"reviews due\t{view.reviews_due}")


@bp.cli.command("ramp")
def ramp() -> None:
    """Days from hire date to first certification, per person with a hire date."""
    for row in certifications.ramp():
        certified = f"{row.certified_at:%Y-%m-%d}\t{row.days} days" if row.certified_at else "not certified"
        click.echo(f"{row.name}\thired {row.hired_on:%Y-%m-%d}\t{certified}")


@bp.cli.command("resolve")
def resolve() -> None:
    """Resolve track steps and quiz questions whose items did not exist when their files were loaded."""
    n = content.resolve_all_pending()
    db.session.commit()
    click.echo(f"{n} references resolved")
