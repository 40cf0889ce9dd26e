"""Errors the user can fix, raised by the transcription package."""


class TranscriptionError(Exception):
    """Base of the errors a user can act on; the message says what to do."""


class UnsupportedMedia(TranscriptionError):
    """The file is not audio or video that can be decoded."""


class ModelUnavailable(TranscriptionError):
    """The configured Whisper model cannot be found or loaded."""


class UnsupportedLanguage(TranscriptionError):
    """The requested language cannot be transcribed by the configured model."""
