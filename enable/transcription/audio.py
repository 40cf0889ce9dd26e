"""Reading recordings: what a media file holds, its samples, and whether its channels are two people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from faster_whisper.audio import decode_audio

from enable.transcription.errors import RecordingTooLong, UnsupportedMedia

SAMPLE_RATE = 16000  # Hz, what Whisper and its VAD take
_FORMATS_HINT = "upload mp3, wav, m4a, ogg, opus, flac, or a video with sound"

# Channel comparison works on 20 ms frames of loudness in dB.
_FRAME = SAMPLE_RATE // 50
# A channel speaks where it is this far above its own noise floor (and within 30 dB of its peak).
_ABOVE_FLOOR_DB = 12.0
# A channel whose loudness never rises this far above its floor carries no voice.
_MIN_RANGE_DB = 15.0
_MIN_ACTIVE_FRAMES = 25  # half a second of speech
# Loudness of one voice on two channels moves together (correlation near 1, even with two
# microphones); two people, one per channel, give ~0 or below, still under 0.45 with crosstalk
# only 10 dB down.
_MAX_SAME_VOICE_CORRELATION = 0.5


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What a media file holds: duration in seconds, audio channels, sample rate in Hz."""

    duration_s: float
    channels: int
    sample_rate: int
    has_video: bool
    codec: str


def _unreadable(reason: str) -> UnsupportedMedia:
    error = UnsupportedMedia(f"This file is not audio or video we can read: {reason}. Please {_FORMATS_HINT}.")
    error.why = reason  # type: ignore[attr-defined]  # the decoder's words, for a reason shown translated
    return error


def _existing(path: Path | str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such recording: {path}")
    if path.stat().st_size == 0:
        raise _unreadable("the file is empty")
    return path


def probe(path: Path | str) -> AudioInfo:
    """Describe a recording; raises UnsupportedMedia when it holds no decodable sound."""
    path = _existing(path)
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise _unreadable("it has no sound track")
            stream = container.streams.audio[0]
            # Demuxers accept some garbage (a text file named .mp3); only a decoded frame proves sound.
            first = next(iter(container.decode(stream)), None)
            if first is None:
                raise _unreadable("its sound track holds no audio we can decode")
            codec = stream.codec_context
            duration_s = _duration_s(container, stream)
            return AudioInfo(
                duration_s=duration_s,
                channels=int(codec.channels or first.layout.nb_channels),
                sample_rate=int(codec.sample_rate or first.sample_rate),
                has_video=bool(container.streams.video),
                codec=str(codec.name),
            )
    except av.FFmpegError as exc:
        raise _unreadable(_ffmpeg_reason(exc)) from exc


def _duration_s(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return round(float(stream.duration * stream.time_base), 3)
    if container.duration is not None:
        return round(container.duration / av.time_base, 3)
    return 0.0  # unknown until decoded; decode() gives the exact length


def _ffmpeg_reason(exc: av.FFmpegError) -> str:
    reason = getattr(exc, "strerror", None) or str(exc)
    return reason.rstrip(".").lower() if reason else type(exc).__name__


def decode(path: Path | str, channel: int | None = None, max_s: float | None = None) -> np.ndarray:
    """Samples of a recording as float32 at 16 kHz: mono mixdown, or one channel (0 left, 1 right).

    With `max_s`, raises RecordingTooLong as soon as decoding passes that many seconds."""
    path = _existing(path)
    if channel not in (None, 0, 1):
        raise ValueError(f"channel must be None, 0 or 1, not {channel!r}")
    if max_s is not None:
        return _decode_whole(path, channel is not None, max_s)[channel or 0]
    try:
        if channel is None:
            return np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), dtype=np.float32)
        return decode_stereo(path)[channel]
    except av.FFmpegError as exc:
        raise _unreadable(_ffmpeg_reason(exc)) from exc


def decode_stereo(path: Path | str, max_s: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Left and right channels as float32 at 16 kHz (a mono file gives two equal channels).

    With `max_s`, raises RecordingTooLong as soon as decoding passes that many seconds."""
    path = _existing(path)
    if max_s is not None:
        left, right = _decode_whole(path, True, max_s)
        return left, right
    try:
        left, right = decode_audio(str(path), sampling_rate=SAMPLE_RATE, split_stereo=True)
    except av.FFmpegError as exc:
        raise _unreadable(_ffmpeg_reason(exc)) from exc
    return np.asarray(left, dtype=np.float32), np.asarray(right, dtype=np.float32)


def _decode_whole(path: Path, stereo: bool, max_s: float) -> np.ndarray:
    """All samples of a recording, (channels, n), decoded in blocks so that the limit is checked as they come."""
    pieces = [block.samples for block in decode_blocks(path, _WHOLE_BLOCK_S, stereo, max_s=max_s)]
    return np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]


@dataclass(frozen=True, slots=True)
class Block:
    """A stretch of a recording: float32 samples at 16 kHz, shape (channels, n), from `start_s` seconds on."""

    start_s: float
    samples: np.ndarray

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / SAMPLE_RATE


# Blocks end at the quietest 100 ms of their last seconds, so that no word is cut in two.
_CUT_FRAME = SAMPLE_RATE // 10
_CUT_SEARCH_S = 15.0
_MAX_ROOM = 30 * 60 * SAMPLE_RATE  # samples per channel a block's buffer starts with, at most
# Decoded frames are resampled in groups this large (samples): one resampler call per frame is slow.
_RESAMPLE_GROUP = 500_000
_GROUP_ROOM = _RESAMPLE_GROUP * SAMPLE_RATE // 8000  # a resampled group's samples, from sources of 8 kHz and up
_WHOLE_BLOCK_S = 30 * 60.0  # decode() with a limit: blocks this long, joined
Decoded = Callable[[float], None]  # seconds decoded so far: a sign of life during a long decode


def decode_blocks(path: Path | str, block_s: float, stereo: bool, *, max_s: float | None = None,
                  on_decoded: Decoded | None = None) -> Iterator[Block]:
    """Stream a recording as blocks of about `block_s` seconds (float32, 16 kHz; two channels when `stereo`,
    else a mono mixdown), so that memory does not grow with the length of the recording.

    The decoded samples are counted, not the header's length, which a file may leave out or misstate: past
    `max_s` seconds decoding stops with RecordingTooLong. `on_decoded` receives the seconds decoded so far after
    each group of frames (a few seconds of work at most), so a caller can show that it is alive.

    Each block but the last ends at the quietest moment of its last 15 seconds; the samples after that
    moment start the next block, so every sample belongs to exactly one block. A recording shorter than
    `block_s` is one block with the same samples as decode()/decode_stereo() give.
    """
    path = _existing(path)
    channels = 2 if stereo else 1
    block_n = max(int(block_s * SAMPLE_RATE), int(2 * _CUT_SEARCH_S * SAMPLE_RATE))
    resampler = av.audio.resampler.AudioResampler(format="s16", layout="stereo" if stereo else "mono",
                                                  rate=SAMPLE_RATE)
    # Samples go straight into the next block's buffer: np.empty touches no memory until it is filled, so a
    # block costs its own size once, not again as pieces waiting to be joined.
    # room for a block and the group of samples that crosses its end (8 kHz and faster sources); np.empty
    # touches no memory, so room not filled costs nothing; the buffer grows past it only for blocks over 30 minutes
    room = min(block_n + _CUT_FRAME, _MAX_ROOM) + _GROUP_ROOM
    buffer = np.empty((channels, room), dtype=np.float32)
    filled = 0
    start_n = 0

    def take(frames: list[av.AudioFrame]) -> None:
        nonlocal buffer, filled
        for frame in frames:
            piece = frame.to_ndarray().reshape(-1, channels).T  # interleaved s16 -> (channels, n)
            end = filled + piece.shape[1]
            if end > buffer.shape[1]:  # a group of frames larger than the room left: grow (rare)
                grown = np.empty((channels, max(end, min(2 * buffer.shape[1], block_n + _CUT_FRAME))),
                                 dtype=np.float32)
                grown[:, :filled] = buffer[:, :filled]
                buffer = grown
            np.divide(piece, np.float32(32768.0), out=buffer[:, filled:end], dtype=np.float32)
            filled = end

    def cut() -> Block:
        """The full buffer's first block; what follows the cut starts a new buffer."""
        nonlocal buffer, filled, start_n
        at = _quietest_cut(buffer[:, :filled], block_n)
        block = Block(start_n / SAMPLE_RATE, buffer[:, :at])
        rest = filled - at
        fresh = np.empty((channels, max(room, rest)), dtype=np.float32)
        fresh[:, :rest] = buffer[:, at:filled]
        buffer, filled, start_n = fresh, rest, start_n + at
        return block

    decoded_s = 0.0
    limit_s = float("inf") if max_s is None else max_s
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            fifo = av.audio.fifo.AudioFifo()
            for frame in _valid_frames(container.decode(audio=0)):
                decoded_s += frame.samples / (frame.sample_rate or SAMPLE_RATE)
                if decoded_s > limit_s:
                    raise RecordingTooLong(limit_s)
                frame.pts = None  # timestamps of concatenated frames are not checked
                fifo.write(frame)
                if fifo.samples >= _RESAMPLE_GROUP:
                    take(resampler.resample(fifo.read()))
                    if on_decoded is not None:
                        on_decoded(decoded_s)
                while filled >= block_n + _CUT_FRAME:
                    yield cut()
            if fifo.samples:
                take(resampler.resample(fifo.read()))
            take(resampler.resample(None))  # flush
    except av.FFmpegError as exc:
        raise _unreadable(_ffmpeg_reason(exc)) from exc
    while filled >= block_n + _CUT_FRAME:  # the last group may hold more than one block
        yield cut()
    if filled or start_n == 0:
        yield Block(start_n / SAMPLE_RATE, buffer[:, :filled])


def _valid_frames(frames: Iterator[av.AudioFrame]) -> Iterator[av.AudioFrame]:
    """Decoded frames, skipping the ones the decoder reports as invalid (as faster-whisper does)."""
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def _quietest_cut(samples: np.ndarray, block_n: int) -> int:
    """Where to end a block of (channels, n) samples: the middle of the quietest 100 ms frame of the last
    seconds before `block_n`."""
    search_n = int(_CUT_SEARCH_S * SAMPLE_RATE)
    first = block_n - search_n
    frames = search_n // _CUT_FRAME
    window = samples[:, first : first + frames * _CUT_FRAME]
    energy = np.square(window, dtype=np.float64).sum(axis=0).reshape(frames, _CUT_FRAME).sum(axis=1)
    return first + int(np.argmin(energy)) * _CUT_FRAME + _CUT_FRAME // 2


def _frame_db(samples: np.ndarray, frames: int) -> np.ndarray:
    power = np.square(samples[: frames * _FRAME].reshape(frames, _FRAME), dtype=np.float64).mean(axis=1)
    return np.clip(10.0 * np.log10(power + 1e-12), -90.0, 0.0)


def _speaking(frame_db: np.ndarray) -> np.ndarray | None:
    floor, peak = np.percentile(frame_db, 10), np.percentile(frame_db, 99)
    if peak - floor < _MIN_RANGE_DB:
        return None
    active = frame_db > max(floor + _ABOVE_FLOOR_DB, peak - 30.0)
    return active if np.count_nonzero(active) >= _MIN_ACTIVE_FRAMES else None


def channels_differ(left: np.ndarray, right: np.ndarray) -> bool:
    """True when two 16 kHz channels carry different voices (one party each), not one voice twice.

    Both channels must carry speech of their own, and their loudness over the moments anyone
    speaks must not move together: a mono recording copied to two channels, or one voice
    caught by two microphones, rises and falls on both sides at once.
    """
    return channel_verdict(left, right) is True


def channel_verdict(left: np.ndarray, right: np.ndarray) -> bool | None:
    """Whether two 16 kHz channels are two parties (True), one voice (False: the same samples, or loudness that
    moves together), or cannot tell yet (None: one of them carries no speech, e.g. a stretch where one party is
    silent)."""
    frames = min(len(left), len(right)) // _FRAME
    if frames == 0 or np.array_equal(left, right):
        return False
    left_db, right_db = _frame_db(left, frames), _frame_db(right, frames)
    left_speaks, right_speaks = _speaking(left_db), _speaking(right_db)
    if left_speaks is None or right_speaks is None:
        return None
    anyone = left_speaks | right_speaks
    correlation = float(np.corrcoef(left_db[anyone], right_db[anyone])[0, 1])
    return bool(np.isfinite(correlation) and correlation < _MAX_SAME_VOICE_CORRELATION)


# Speaker attribution on a two-party call: 10 ms frames of energy per channel.
_ENERGY_FRAME = SAMPLE_RATE // 100
# A word is "clearly" one channel's when that channel carries this much more energy over it.
_CLEAR_MARGIN_DB = 6.0


class ChannelEnergy:
    """Energy of each channel of a two-party call over time, to tell which party said a word.

    On a call recorded one party per channel, the party speaking is loud on their own channel
    and (nearly) silent on the other's, so the louder channel over a word's span says who spoke.
    """

    def __init__(self, left: np.ndarray, right: np.ndarray) -> None:
        frames = min(len(left), len(right)) // _ENERGY_FRAME
        self._cumulative = []
        for samples in (left, right):
            power = np.square(samples[: frames * _ENERGY_FRAME].reshape(frames, _ENERGY_FRAME), dtype=np.float64)
            self._cumulative.append(np.concatenate(([0.0], np.cumsum(power.sum(axis=1)))))
        self.frames = frames

    def energies(self, start_s: float, end_s: float, pad_s: float = 0.0) -> tuple[float, float]:
        """Energy of the left and right channels between two times (seconds), widened by `pad_s`."""
        first = min(self.frames, max(0, int((start_s - pad_s) * 100)))
        last = min(self.frames, max(first + 1, int(np.ceil((end_s + pad_s) * 100))))
        first = min(first, max(0, last - 1))
        left, right = self._cumulative
        return float(left[last] - left[first]), float(right[last] - right[first])

    def louder(self, start_s: float, end_s: float) -> tuple[int, bool]:
        """The louder channel (0 left, 1 right) over a span, and whether it is clearly louder."""
        left, right = self.energies(start_s, end_s, pad_s=0.02)
        if end_s - start_s < 0.1:  # a word timed as (almost) an instant: look around it
            left, right = self.energies(start_s, end_s, pad_s=0.15)
        margin_db = 10.0 * np.log10((max(left, right) + 1e-12) / (min(left, right) + 1e-12))
        return (0 if left >= right else 1), bool(margin_db >= _CLEAR_MARGIN_DB)
