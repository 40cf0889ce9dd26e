"""Synthesize test and demo calls with espeak-ng and ffmpeg (Opus in Ogg), deterministically.

Run from the repository root to regenerate the committed test audio:

    .venv/bin/python scripts/synth_dialogue.py

or to make another demo call from a script file (``SPEAKER: TEXT`` lines, see sales_dialogue.txt):

    .venv/bin/python scripts/synth_dialogue.py --script my_call.txt --out demo/my_call.ogg

Each speaker gets a voice: an espeak-ng voice name ("en-us+m3"), or a Festival voice for languages
espeak reads poorly, written ``festival:VOICE[:PITCH_CENTS[:TEMPO]]`` (Russian:
"festival:msu_ru_nsh_clunits"; Festival has one Russian voice, so a second speaker is the same voice
shifted in pitch and tempo by sox, e.g. "festival:msu_ru_nsh_clunits:350:1.05"). Script files are UTF-8.
In stereo the rep is on the left channel and the customer on the
right, and each channel is near-silent while the other party speaks, as in a two-channel call
recording. The sidecar JSON (same name, .json) lists every line with its speaker and its start
and end in seconds, so tests know where each line is.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
AUDIO_DIR = REPO / "tests" / "data" / "audio"
SCRIPT_FILE = Path(__file__).resolve().parent / "sales_dialogue.txt"

RATE = 22050  # espeak-ng's native output rate, Hz
DEFAULT_VOICES = {"rep": "en-us+m3", "customer": "en-gb+f2"}
DEFAULT_CHANNELS = {"rep": 0, "customer": 1}
FESTIVAL_PREFIX = "festival:"
# Festival's one Russian voice, and the same voice higher and a little faster for the other party.
RUSSIAN_VOICES = {"rep": "festival:msu_ru_nsh_clunits", "customer": "festival:msu_ru_nsh_clunits:350:1.05"}
# Turn-taking pauses cycle through these, seconds: varied like a real call, yet reproducible.
GAPS_S = (0.6, 0.9, 0.5, 1.1, 0.7, 0.8)
LEAD_IN_S = 0.8
NOISE_DBFS = -60.0  # a faint noise floor, as a real line has; pure digital silence is unrealistic

SHORT_EN_TEXT = (
    "I went through your proposal with my team this morning. "
    "We like the product, but honestly the price is too expensive for us."
)


@dataclass(frozen=True)
class Line:
    """One utterance of a script: who says what, optionally labelled (e.g. "objection:price")."""

    speaker: str
    text: str
    label: str | None = None


@dataclass(frozen=True)
class TimedLine:
    """A line placed in the output audio; start and end in seconds."""

    speaker: str
    text: str
    start: float
    end: float
    label: str | None = None


def read_script(path: Path) -> list[Line]:
    """Parse a script file of `SPEAKER: TEXT` or `SPEAKER [LABEL]: TEXT` lines (# comments)."""
    lines = []
    pattern = re.compile(r"^(?P<speaker>\w+)\s*(?:\[(?P<label>[^\]]+)\])?\s*:\s*(?P<text>.+)$")
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        raw = raw.strip()
        if not raw or raw.startswith("#"):
            continue
        match = pattern.match(raw)
        if match is None:
            raise ValueError(f"{path}:{number}: expected 'SPEAKER: TEXT', got {raw!r}")
        lines.append(Line(match["speaker"], match["text"].strip(), match["label"]))
    return lines


def _require_tools(voices: Iterable[str] = ()) -> None:
    tools = {"espeak-ng": "espeak-ng", "ffmpeg": "ffmpeg"}
    if any(voice.startswith(FESTIVAL_PREFIX) for voice in voices):
        tools |= {"text2wave": "festival festvox-ru", "sox": "sox"}
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        packages = " ".join(dict.fromkeys(tools[tool] for tool in missing))
        raise SystemExit(f"Missing {', '.join(missing)}: install with apt-get install {packages}")


def _festival(text: str, voice: str, speed_wpm: int, wav_path: Path) -> None:
    """Render text with Festival's text2wave, then resample (and shift pitch and tempo) with sox."""
    name, *shift = voice.removeprefix(FESTIVAL_PREFIX).split(":")
    if not re.fullmatch(r"[a-z0-9_]+", name) or len(shift) > 2:
        raise ValueError(f"festival voice should be festival:VOICE[:PITCH_CENTS[:TEMPO]], got {voice!r}")
    pitch, tempo = (float(shift[0]) if shift else 0.0), (float(shift[1]) if len(shift) > 1 else 1.0)
    stretch = 150 / speed_wpm  # Festival speaks at about 150 words a minute
    raw = wav_path.with_name("festival.wav")
    text_path = wav_path.with_name("line.txt")
    text_path.write_text(text + "\n", encoding="utf-8")
    subprocess.run(
        ["text2wave", "-eval", f"(voice_{name})", "-eval", f"(Parameter.set 'Duration_Stretch {stretch:.3f})",
         str(text_path), "-o", str(raw)],
        check=True,
        capture_output=True,
    )
    effects = (["pitch", f"{pitch:g}"] if pitch else []) + (["tempo", "-s", f"{tempo:g}"] if tempo != 1.0 else [])
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(wav_path), *effects],
                   check=True, capture_output=True)


def speak(text: str, voice: str, speed_wpm: int = 150) -> np.ndarray:
    """Synthesize text with espeak-ng (or Festival); float32 mono samples at 22.05 kHz, silence trimmed."""
    with tempfile.TemporaryDirectory() as tmp:
        wav_path = Path(tmp) / "line.wav"
        if voice.startswith(FESTIVAL_PREFIX):
            _festival(text, voice, speed_wpm, wav_path)
        else:
            subprocess.run(
                ["espeak-ng", "-v", voice, "-s", str(speed_wpm), "-w", str(wav_path), text],
                check=True,
                capture_output=True,
            )
        with wave.open(str(wav_path), "rb") as wav:
            if wav.getframerate() != RATE or wav.getnchannels() != 1:
                raise RuntimeError(f"unexpected synthesizer output format in {wav_path}")
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    samples = pcm.astype(np.float32) / 32768.0
    # espeak pads each utterance with silence; trim it so the recorded times are the speech itself
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


def _encode_opus(samples: np.ndarray, out_path: Path, bitrate: str, discrete: bool = False) -> None:
    """Write float samples (frames x channels) as Opus in Ogg, bit-exact across runs.

    ``discrete`` codes each channel as its own mono stream (Opus channel mapping family 255): below about
    32 kbps a coupled stereo stream folds two channels into one, and the two parties could no longer be told apart.
    """
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    channels = 1 if pcm.ndim == 1 else pcm.shape[1]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out_path.with_name(f".{out_path.name}.tmp.ogg")
    command = [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(RATE), "-ac", str(channels), "-i", "pipe:0",
        "-ar", "48000", "-c:a", "libopus", "-b:a", bitrate,
        *(["-mapping_family", "255"] if discrete and channels > 1 else []),
        # bitexact drops the random Ogg serial number and the encoder version tag
        "-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1",
        str(tmp_out),
    ]  # fmt: skip
    subprocess.run(command, input=pcm.tobytes(), check=True)
    tmp_out.replace(out_path)


def _noise(frames: int, channels: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    amplitude = 10 ** (NOISE_DBFS / 20)
    return (rng.standard_normal((frames, channels)) * amplitude).astype(np.float32)


def synthesize_dialogue(
    lines: Iterable[Line | tuple[str, str] | tuple[str, str, str | None]],
    out_path: Path,
    *,
    voices: Mapping[str, str] = DEFAULT_VOICES,
    channels: Mapping[str, int] | None = DEFAULT_CHANNELS,
    speed_wpm: int = 150,
    bitrate: str = "32k",
    seed: int = 0,
    discrete: bool = False,
) -> list[TimedLine]:
    """Render a dialogue to out_path (Ogg Opus) plus out_path.json; returns the timed lines.

    With ``channels`` (speaker -> channel index) the file is stereo with one speaker per
    channel; with ``channels=None`` all voices are mixed into one mono channel. ``discrete``
    encodes the channels as separate mono streams, which keeps them apart at low bitrates.
    """
    script = [item if isinstance(item, Line) else Line(*item) for item in lines]
    _require_tools(voices.values())
    unknown = sorted({line.speaker for line in script} - set(voices))
    if unknown:
        raise ValueError(f"no voice for speaker(s) {unknown}; pass voices={{name: espeak voice}}")
    unplaced = sorted({line.speaker for line in script} - set(channels or voices))
    if unplaced:
        raise ValueError(f"no channel for speaker(s) {unplaced}; pass channels={{name: index}} or None")
    n_channels = 1 if channels is None else max(channels.values()) + 1

    pieces: list[tuple[int, int, np.ndarray]] = []  # (channel, start frame, samples)
    timed: list[TimedLine] = []
    cursor = int(LEAD_IN_S * RATE)
    for index, line in enumerate(script):
        samples = speak(line.text, voices[line.speaker], speed_wpm)
        channel = 0 if channels is None else channels[line.speaker]
        pieces.append((channel, cursor, samples))
        end = cursor + len(samples)
        timed.append(TimedLine(line.speaker, line.text, round(cursor / RATE, 3), round(end / RATE, 3), line.label))
        cursor = end + int(GAPS_S[index % len(GAPS_S)] * RATE)

    total = cursor + int(LEAD_IN_S * RATE)
    mix = _noise(total, n_channels, seed)
    for channel, start, samples in pieces:
        mix[start : start + len(samples), channel] += samples * 0.8
    _encode_opus(mix[:, 0] if n_channels == 1 else mix, out_path, bitrate, discrete)

    sidecar = {
        "audio": out_path.name,
        "duration_s": round(total / RATE, 3),
        "channels": dict(channels) if channels is not None else None,
        "voices": dict(voices),
        "lines": [asdict(line) for line in timed],
    }
    out_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    return timed


def synthesize_silence(out_path: Path, seconds: float = 3.0) -> None:
    """Write `seconds` of digital silence as mono Ogg Opus."""
    _require_tools()
    _encode_opus(np.zeros(int(seconds * RATE), dtype=np.float32), out_path, "16k")


def synthesize_clip(text: str, out_path: Path, voice: str = "en-us+m3", speed_wpm: int = 150) -> float:
    """Write one voice saying `text` as mono Ogg Opus; returns its duration in seconds."""
    _require_tools([voice])
    speech = speak(text, voice, speed_wpm) * 0.8
    pad = np.zeros(int(0.5 * RATE), dtype=np.float32)
    samples = np.concatenate([pad, speech, pad]) + _noise(len(speech) + 2 * len(pad), 1, seed=1)[:, 0]
    _encode_opus(samples, out_path, "24k")
    return round(len(samples) / RATE, 3)


def generate_test_audio(audio_dir: Path = AUDIO_DIR) -> None:
    """Regenerate the committed test recordings under tests/data/audio/."""
    timed = synthesize_dialogue(read_script(SCRIPT_FILE), audio_dir / "sales_dialogue.ogg")
    synthesize_silence(audio_dir / "silence.ogg", 3.0)
    short = synthesize_clip(SHORT_EN_TEXT, audio_dir / "short_en.ogg")
    for line in timed:
        if line.label:
            print(f"{line.label}: {line.start:.1f}-{line.end:.1f} s")
    speech = sum(line.end - line.start for line in timed)
    print(f"sales_dialogue.ogg: {timed[-1].end:.1f} s long, {speech:.1f} s of speech; short_en.ogg: {short:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--script", type=Path, help="dialogue file of SPEAKER: TEXT lines")
    parser.add_argument("--out", type=Path, help="output .ogg (a .json with line times is written beside it)")
    parser.add_argument("--mono", action="store_true", help="mix all speakers into one channel")
    args = parser.parse_args(argv)
    if args.script is None:
        generate_test_audio()
        return 0
    if args.out is None:
        parser.error("--out is required with --script")
    timed = synthesize_dialogue(read_script(args.script), args.out, channels=None if args.mono else DEFAULT_CHANNELS)
    print(f"{args.out}: {len(timed)} lines, {timed[-1].end:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
