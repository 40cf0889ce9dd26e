"""Logging, configured once before the app exists (and likewise in workers)."""

from __future__ import annotations

import logging.config

_configured = False


def configure_logging(level: str = "INFO") -> None:
    """Send log records to stderr with time, level and logger name."""
    global _configured
    if _configured:
        return
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {"huey": {"level": "WARNING"}, "faster_whisper": {"level": "WARNING"},
                    "alembic": {"level": "WARNING"}},
    })
    _configured = True
