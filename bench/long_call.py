"""Long-call benchmark: a worker's peak memory and speed on a long recording, in blocks versus whole.

    .venv/bin/python bench/long_call.py [--minutes 40] [--block-minutes 10]

Builds (once, under the system's temp folder) a stereo call of --minutes by repeating the synthesized 6-minute
sales call (tests/data/audio/sales_dialogue.ogg, one party per channel), then transcribes it twice with tiny.en,
each run in its own subprocess so that each peak RSS is its own: the way Enable does it (decoded and transcribed
in blocks of about --block-minutes, cut at quiet moments) and the whole recording decoded at once. Prints wall
and CPU seconds, audio seconds per wall second, words and peak RSS of both, and their ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SOURCE = REPO / "tests" / "data" / "audio" / "sales_dialogue.ogg"


def long_call(minutes: float) -> Path:
    """A stereo Ogg/Opus call of about `minutes`, the synthesized call repeated (built once, then reused)."""
    path = Path(tempfile.gettempdir()) / f"enable-bench-call-{minutes:g}min.ogg"
    if not path.exists():
        repeats = max(1, round(minutes * 60 / 351))
        partial = path.with_suffix(".part.ogg")
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-stream_loop", str(repeats - 1), "-i", str(SOURCE),
                        "-c:a", "libopus", "-b:a", "32k", str(partial)], check=True)
        partial.rename(path)
    return path


def _worker(path: Path, block_s: float) -> None:
    from enable.transcription import Transcriber

    transcriber = Transcriber(block_s=block_s)
    transcriber.load()
    started, cpu = time.perf_counter(), time.process_time()
    transcript = transcriber.transcribe(path, hotwords=["Clearview", "Gong", "Northwind"])
    print(json.dumps({
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "audio_s": transcript.duration_s,
        "words": sum(1 for _ in transcript.words()),
        "speakers": transcript.speakers,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }))


def _run(path: Path, block_s: float) -> dict:
    done = subprocess.run([sys.executable, __file__, "--worker", str(path), "--block-s", str(block_s)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description="Peak memory of a long call: blocks versus whole.")
    parser.add_argument("--minutes", type=float, default=40.0)
    parser.add_argument("--block-minutes", type=float, default=10.0)
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--block-s", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.block_s)
        return 0

    path = long_call(args.minutes)
    load_before = os.getloadavg()[0]
    blocks = _run(path, args.block_minutes * 60)
    whole = _run(path, 1e9)
    print(f"call: {path.name}, {blocks['audio_s']:.0f} s stereo; model tiny.en; {os.cpu_count()} CPUs; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'path':28} {'wall s':>8} {'cpu s':>8} {'audio s / wall s':>17} {'words':>6} {'peak RSS MB':>12}")
    for name, run in ((f"blocks of {args.block_minutes:g} min (Enable)", blocks), ("whole recording", whole)):
        print(f"{name:28} {run['wall_s']:8.1f} {run['cpu_s']:8.1f} {run['audio_s'] / run['wall_s']:17.1f} "
              f"{run['words']:6d} {run['peak_rss_mb']:12.0f}")
    print(f"blocks vs whole: {blocks['peak_rss_mb'] / whole['peak_rss_mb']:.2f}x the peak memory, "
          f"{whole['wall_s'] / blocks['wall_s']:.2f}x the speed; speakers {blocks['speakers']} / {whole['speakers']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
