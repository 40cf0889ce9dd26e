"""Calls: upload recordings, follow their processing, play them with their transcript."""

from pathlib import Path

from flask import Blueprint

bp = Blueprint("calls", __name__, url_prefix="/calls", template_folder="templates", cli_group="calls")


@bp.record_once
def _sweep_incoming(state) -> None:
    """Parts of uploads a killed server left behind are removed when the site starts."""
    from enable.calls.services import sweep_incoming_at_start

    sweep_incoming_at_start(Path(state.app.config["MEDIA_DIR"]))


from enable.calls import cli, views  # noqa: E402,F401  (registers routes and commands on bp)
