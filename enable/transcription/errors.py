"""Errors the user can fix, raised by the transcription package."""


class TranscriptionError(Exception):
    """Base of the errors a user can act on; the message says what to do."""


class UnsupportedMedia(TranscriptionError):
    """The file is not audio or video that can be decoded."""


class ModelUnavailable(TranscriptionError):
    """The configured Whisper model cannot be found or loaded."""


class UnsupportedLanguage(TranscriptionError):
    """The requested language cannot be transcribed by the configured model."""


class RecordingTooLong(UnsupportedMedia):
    """Decoding passed the longest recording allowed (whatever the file's header said of its length)."""

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"This recording lasts longer than the {limit_s / 60:g} minutes a call may last.")
        self.limit_s = limit_s
