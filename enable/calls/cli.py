"""`flask calls ingest PATH...`: add recordings from disk, optionally processing them before returning."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from enable.calls import bp
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.errors import UserError
from enable.extensions import db


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, with a folder standing for the media files directly inside it."""
    suffixes = {f".{s}" for s in calls.media_suffixes()}
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if not found:
                raise click.ClickException(f"{path}: no media files in this folder ({', '.join(sorted(suffixes))})")
            files.extend(found)
        else:
            files.append(path)
    return files


@bp.cli.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--title", help="Title of the call (with several files, each title ends with its file name).")
@click.option("--rep", "rep_email", metavar="EMAIL", help="The rep on the call.")
@click.option("--deal", "deal_id", metavar="EXTERNAL_ID", help="The CRM id of the deal the call belongs to.")
@click.option("--stage", help="The sales stage (a stage key of the taxonomy, e.g. negotiation).")
@click.option("--language", help="Language spoken: auto (the default) or a code the installed speech models handle "
              "(TRANSCRIPTION_LANGUAGES, en and ru by default).")
@click.option("--quality", type=click.Choice(["fast", "accurate"]),
              help="Transcription quality (default: TRANSCRIPTION_QUALITY); accurate gives English to base too.")
@click.option("--speakers", type=click.Choice(["auto", "1", "2", "3", "4", "5", "6"]),
              help="How many people talk on the calls (one-channel recordings): auto (the default) finds it.")
@click.option("--date", "call_date", type=click.DateTime(formats=["%Y-%m-%d"]), help="Call date, YYYY-MM-DD.")
@click.option("--wait", is_flag=True, help="Process the calls now, showing progress, instead of queueing them.")
def ingest_command(paths: tuple[Path, ...], title: str | None, rep_email: str | None, deal_id: str | None,
                   stage: str | None, language: str | None, quality: str | None, speakers: str | None, call_date,
                   wait: bool) -> None:
    """Add recordings (files or folders of them) as calls: transcribe, cut into bites, tag and index."""
    files = _expand(paths)
    try:
        details = calls.CallDetails(
            rep_id=calls.find_user_by_email(rep_email).id if rep_email else None,
            deal_id=calls.find_deal(deal_id).id if deal_id else None,
            call_date=call_date.date() if call_date else None,
            stage=stage or None,
            language=None if language in (None, "", "auto") else language,
            quality=quality,
            speakers=speakers,
        )
        calls.check_details(details)
    except UserError as e:
        raise click.ClickException(e.message) from e

    failures: list[str] = []
    queued: list[int] = []
    for path in files:
        details.title = (f"{title} — {path.stem}" if len(files) > 1 else title) if title else ""
        try:
            result = calls.accept_file(path, details)
        except UserError as e:  # too large or too long: nothing stored
            db.session.rollback()
            failures.append(e.message)
            click.echo(f"{path}: refused: {e.message}", err=True)
            continue
        db.session.commit()
        call = result.call
        if result.created and call.status == CallStatus.FAILED:  # stored as a failed call: not a recording
            failures.append(f"{path.name}: {call.error}")
            click.echo(f"{path}: refused: {call.error} (call {call.id}, failed)", err=True)
        elif result.created:
            queued.append(call.id)
        else:
            click.echo(f"{path}: already uploaded as call {call.id} ({call.status.label})")
            if call.status == CallStatus.FAILED:
                failures.append(f"{path.name}: call {call.id} failed: {call.error}")
            elif wait and call.status == CallStatus.READY:
                click.echo(f"call {call.id}: {len(call.bites)} bites")

    from enable import pipeline

    for call_id in queued:
        if not wait:
            if pipeline.queue_call(call_id):
                click.echo(f"call {call_id}: queued (`flask serve` or `flask worker` processes it)")
            else:
                click.echo(f"call {call_id}: the queue's disk is full; the next worker start queues it")
            continue
        processed = _process_now(call_id)
        if processed is None:
            continue
        if processed.status == CallStatus.FAILED:
            failures.append(f"call {processed.id}: {processed.error}")
            click.echo(f"call {processed.id}: failed: {processed.error}", err=True)
        else:
            click.echo(f"call {processed.id}: {len(processed.bites)} bites")
    if failures:
        raise click.ClickException(f"{len(failures)} of {len(files)} file(s) failed:\n  " + "\n  ".join(failures))


def _process_now(call_id: int) -> Call | None:
    """Run the pipeline on one call in this process with a progress bar (percent of audio transcribed)."""
    from enable import pipeline

    call = db.session.get(Call, call_id)
    label = f"call {call_id} ({call.original_filename})" if call else f"call {call_id}"
    with click.progressbar(length=1000, label=label, show_percent=True, file=sys.stderr) as bar:
        done = [0]

        def progress(status: str, fraction: float) -> None:
            step = int(fraction * 1000) - done[0]
            if step > 0:
                bar.update(step)
                done[0] += step

        pipeline.ingest_call(call_id, progress=progress)
    db.session.expire_all()
    return db.session.get(Call, call_id)
