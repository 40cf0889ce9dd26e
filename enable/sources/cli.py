"""`flask calls import-folder DIR [--dry-run] [--wait]`: a one-off archive, imported like a drop folder."""

from __future__ import annotations

import time
from pathlib import Path

import click

from enable.calls import bp as calls_bp
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.sources import folders


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.2f} h"


def _left(done_s: float, total_s: float, elapsed_s: float) -> str:
    if done_s <= 0 or elapsed_s <= 0:
        return "time left unknown yet"
    left = (total_s - done_s) * elapsed_s / done_s
    return f"about {int(left // 60)} min {int(left % 60)} s left"


@calls_bp.cli.command("import-folder")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what each file would become; change nothing.")
@click.option("--wait", is_flag=True, help="Process the new calls in this process, showing progress, instead of "
              "queueing them for the worker.")
def import_folder_command(folder: Path, dry_run: bool, wait: bool) -> None:
    """Import every complete recording of FOLDER as a drop folder would (sidecars, manifest, DROP_REP_PATTERN);
    files move to processed/ or failed/ with a .reason.txt."""
    audio_s = [0.0]

    def on_file(number: int, total: int, report: folders.FileReport) -> None:
        audio_s[0] += report.duration_s or 0
        call = f" (call {report.call_id})" if report.call_id else ""
        reason = f": {report.reason}" if report.reason else ""
        click.echo(f"[{number}/{total}] {report.name}: {report.fate}{call}{reason}")

    report = folders.scan_folder(folder, dry_run=dry_run, on_file=on_file, queue=not wait)
    if report.skipped:
        raise click.ClickException(f"{folder}: {report.skipped}")
    fates = sorted({f.fate for f in report.files})
    summary = ", ".join(f"{report.count(fate)} {fate}" for fate in fates) or "no recordings"
    click.echo(f"{folder}: {summary}; {_hours(audio_s[0])} of audio" + (" (dry run: nothing changed)" if dry_run
                                                                         else ""))
    if dry_run or not report.queue:
        return
    if not wait:
        click.echo(f"{len(report.queue)} call(s) queued (`flask serve` or `flask worker` processes them)")
        return
    _process(report.queue)


def _process(call_ids: list[int]) -> None:
    """Process the calls here, one after another, printing files done, hours of audio and the time left."""
    from enable import pipeline

    durations = {cid: float(db.session.get(Call, cid).duration_s or 0) for cid in call_ids}  # type: ignore[union-attr]
    total_s, done_s, started = sum(durations.values()), 0.0, time.monotonic()
    failed = 0
    for number, call_id in enumerate(call_ids, start=1):
        call = pipeline.ingest_call(call_id)
        db.session.expire_all()
        call = db.session.get(Call, call_id)
        done_s += durations[call_id]
        state = call.status.value if call is not None else "gone"
        if call is not None and call.status == CallStatus.FAILED:
            failed += 1
            state += f": {call.error}"
        click.echo(f"{number}/{len(call_ids)} files done, {_hours(done_s)} of {_hours(total_s)} of audio, "
                   f"{_left(done_s, total_s, time.monotonic() - started)} — call {call_id} {state}")
    if failed:
        raise click.ClickException(f"{failed} of {len(call_ids)} call(s) failed")
