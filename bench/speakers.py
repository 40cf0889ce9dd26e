"""Speaker diarization benchmark: diarization error, CPU time and memory on one-channel calls.

    .venv/bin/python bench/speakers.py [--audio ../shared/audio] [--seconds 180] [--threshold 0.5]

Calls: conversations synthesized by scripts/synth_speakers.py (two and three voices, English and Russian, at
least --seconds long, turns of 2-20 s, backchannels, about 10% overlap; cached under bench/.cache), the first
two-voice English one again at phone quality (8 kHz, 300-3400 Hz, mu-law), and the real-voice mix: the reader of
multilingual.mp3 (English, then German) alternating with JFK (jfk.flac), from ../shared/audio when present.
Diarization error is the share of the true speech time missed or given to the wrong speaker under the best
mapping of found speakers to true ones. The baseline in the same run is "one speaker for everything" (what a
one-channel call had before): its error is the share of speech of all but the main speaker.
Each call runs in its own subprocess, so its peak memory (RSS) is its own; CPU seconds are user + system.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
CACHE = REPO / "bench" / ".cache" / "speakers"
SHARED_AUDIO = REPO.parent / "shared" / "audio"
CASES = [("en", 2), ("en", 3), ("ru", 2), ("ru", 3)]


def synthesized(language: str, voices: int, seconds: float) -> Path:
    """The cached synthesized call (made on first use)."""
    from synth_speakers import synthesize_conversation

    path = CACHE / f"{language}{voices}_{int(seconds)}.wav"
    if not path.is_file() or not path.with_suffix(".json").is_file():
        synthesize_conversation(path, voices, language, seconds, seed=voices)
    return path


def phone_quality(source: Path) -> Path:
    """The call squeezed through a phone line: 8 kHz, 300-3400 Hz, mu-law."""
    path = source.with_name(source.stem + "_phone.wav")
    if not path.is_file():
        subprocess.run(["sox", str(source), "-r", "8000", "-e", "mu-law", str(path), "sinc", "300-3400"], check=True)
        path.with_suffix(".json").write_text(source.with_suffix(".json").read_text())
    return path


def real_mix(audio_dir: Path) -> Path | None:
    """The multilingual.mp3 reader (12 s turns) alternating with JFK (4 s turns), as one channel."""
    from enable.transcription.audio import decode

    multilingual, jfk = audio_dir / "multilingual.mp3", audio_dir / "jfk.flac"
    if not multilingual.is_file() or not jfk.is_file():
        return None
    path = CACHE / "real_mix.wav"
    if path.is_file():
        return path
    import wave

    reader, kennedy = decode(multilingual), decode(jfk)
    rate = 16000
    pieces, turns, at, offset = [], [], 0.0, 0
    for start in range(0, len(reader), 12 * rate):
        piece = reader[start : start + 12 * rate]
        pieces.append(piece)
        turns.append((round(at, 3), round(at + len(piece) / rate, 3), "reader"))
        at += len(piece) / rate
        quote = kennedy[offset : offset + 4 * rate]
        offset = (offset + 4 * rate) % (len(kennedy) - 4 * rate)
        pieces.append(quote)
        turns.append((round(at, 3), round(at + len(quote) / rate, 3), "jfk"))
        at += len(quote) / rate
    mix = np.concatenate(pieces)
    CACHE.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(mix, -1, 1) * 32767).astype("<i2").tobytes())
    path.with_suffix(".json").write_text(json.dumps({"turns": turns}) + "\n")
    return path


def measure(path: Path, threshold: float) -> dict[str, float]:
    """Diarize one call in this process: error, speakers found, CPU seconds per audio second, peak RSS."""
    from enable.transcription import diarization
    from enable.transcription.audio import probe
    from enable.transcription.speaker_model import SpeakerEmbedder
    from enable.transcription.speakers import find_speakers

    truth = [tuple(t) for t in json.loads(path.with_suffix(".json").read_text())["turns"]]
    embedder = SpeakerEmbedder()
    embedder.load()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    found = find_speakers(path, embedder, threshold=threshold)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    duration = probe(path).duration_s
    hypothesis = [(t.start, t.end, str(t.speaker)) for t in found.turns]
    names = sorted({n for _, _, n in truth})
    talk = {n: sum(e - s for s, e, m in truth if m == n) for n in names}
    main = max(talk, key=lambda n: talk[n])
    return {
        "error": diarization.speaker_share_error(truth, hypothesis),
        "baseline": 1.0 - talk[main] / sum(talk.values()),
        "speakers": found.speakers,
        "true_speakers": len(names),
        "cpu_per_s": cpu / duration,
        "wall_s": wall,
        "audio_s": duration,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=SHARED_AUDIO, help="folder of the real recordings")
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the synthesized calls")
    parser.add_argument("--threshold", type=float, default=None, help="clustering threshold (default: the code's)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child run: measure this call only
    args = parser.parse_args()
    from enable.transcription.diarization import THRESHOLD

    threshold = THRESHOLD if args.threshold is None else args.threshold
    if args.one is not None:
        print(json.dumps(measure(args.one, threshold)))
        return 0
    calls = [(f"{lang} {voices} voices", synthesized(lang, voices, args.seconds)) for lang, voices in CASES]
    calls.insert(1, ("en 2 voices, phone", phone_quality(calls[0][1])))
    mix = real_mix(args.audio)
    if mix is not None:
        calls.append(("real voices (reader + JFK)", mix))
    else:
        print(f"({args.audio} absent: no real-voice mix)")
    print(f"threshold {threshold}; error = missed + wrong-speaker share of speech; baseline = one speaker for all")
    print(f"{'call':30} {'audio s':>8} {'found':>6} {'error':>7} {'baseline':>9} {'CPU s/s':>8} {'peak MB':>8}")
    rows = []
    for name, path in calls:
        out = subprocess.run([sys.executable, __file__, "--one", str(path), "--threshold", str(threshold)],
                             check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append((name, row))
        print(f"{name:30} {row['audio_s']:8.0f} {row['speakers']:>3}/{row['true_speakers']:<2} "
              f"{row['error']:7.1%} {row['baseline']:9.1%} {row['cpu_per_s']:8.3f} {row['peak_mb']:8.0f}")
    errors = [r["error"] for _, r in rows]
    two = [r["error"] for n, r in rows if "2 voices" in n]
    print(f"mean error {np.mean(errors):.1%} (two-voice calls {np.mean(two):.1%}, target <= 10%); "
          f"baseline mean {np.mean([r['baseline'] for _, r in rows]):.1%}; "
          f"CPU {np.mean([r['cpu_per_s'] for _, r in rows]):.3f} s per audio second; "
          f"peak {max(r['peak_mb'] for _, r in rows):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
