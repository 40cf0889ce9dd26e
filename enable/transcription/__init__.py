"""Transcription: recordings to timed, speaker-attributed words (no Flask, no database)."""

from enable.transcription.audio import AudioInfo, channels_differ, decode, decode_stereo, probe
from enable.transcription.errors import (
    ModelUnavailable,
    TranscriptionError,
    UnsupportedLanguage,
    UnsupportedMedia,
)
from enable.transcription.hotwords import hotwords_prompt, respell
from enable.transcription.models import is_multilingual, resolve_model
from enable.transcription.stats import conversation_stats
from enable.transcription.store import TranscriptStore
from enable.transcription.transcriber import CUSTOMER, REP, Transcriber
from enable.transcription.types import Segment, Transcript, Word
from enable.transcription.vtt import to_webvtt

__all__ = [
    "CUSTOMER",
    "REP",
    "AudioInfo",
    "ModelUnavailable",
    "Segment",
    "Transcriber",
    "Transcript",
    "TranscriptStore",
    "TranscriptionError",
    "UnsupportedLanguage",
    "UnsupportedMedia",
    "Word",
    "channels_differ",
    "conversation_stats",
    "decode",
    "decode_stereo",
    "hotwords_prompt",
    "is_multilingual",
    "probe",
    "respell",
    "resolve_model",
    "to_webvtt",
]
