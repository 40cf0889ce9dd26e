"""Synthesize the overlap test call: two espeak-ng voices, one a channel, talking at once, with a backchannel.

    .venv/bin/python scripts/synth_overlap.py

writes tests/data/audio/overlap_call.ogg (stereo Ogg Opus, the rep on the left, the customer on the right) and
beside it overlap_call.json with every line's speaker, text, start and end in seconds. The customer says "Yeah."
inside the rep's first long sentence, and the rep starts his second sentence while the customer's is still running,
so that both talk at once: the transcript must keep each person's sentence whole.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_dialogue import DEFAULT_VOICES, RATE, _encode_opus, _noise, _require_tools, speak  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "audio" / "overlap_call.ogg"
CHANNELS = {"rep": 0, "customer": 1}
# (speaker, text, after, at): a line starts `at` seconds after the start of line number `after`, or "end+GAP": GAP
# seconds after its end; the first line (`after` None) starts at `at` seconds
LINES = [
    ("rep", "I went through your proposal with my team this morning and we really like what the product does.",
     None, 0.8),
    ("customer", "Yeah.", 0, 2.0),  # a backchannel two seconds into the rep's sentence
    ("customer", "The problem is that the price is far too high for our budget this quarter.", 0, "end+0.6"),
    ("rep", "Let me show you how the cost pays back within six months.", 2, 1.8),  # over the customer's sentence
    ("customer", "Okay, show me the numbers.", 3, "end+0.7"),
]


def synthesize(out_path: Path = OUT) -> list[dict]:
    """Render the call to `out_path` (and its .json); returns the timed lines."""
    _require_tools()
    timed: list[dict] = []
    pieces = []
    for speaker, text, after, at in LINES:
        samples = speak(text, DEFAULT_VOICES[speaker]) * 0.8
        if after is None:
            start = float(at)
        elif isinstance(at, str):  # "end+GAP": after the end of line `after`
            start = timed[after]["end"] + float(at.removeprefix("end+"))
        else:
            start = timed[after]["start"] + float(at)
        end = round(start + len(samples) / RATE, 3)
        timed.append({"speaker": speaker, "text": text, "start": round(start, 3), "end": end})
        pieces.append((CHANNELS[speaker], int(round(start * RATE)), samples))
    total = max(start + len(samples) for _, start, samples in pieces) + int(0.8 * RATE)
    mix = _noise(total, 2, seed=3)
    for channel, start, samples in pieces:
        mix[start : start + len(samples), channel] += samples
    _encode_opus(mix, out_path, "24k", discrete=True)
    sidecar = {"audio": out_path.name, "duration_s": round(total / RATE, 3), "channels": CHANNELS,
               "voices": DEFAULT_VOICES, "lines": timed}
    out_path.with_suffix(".json").write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    return timed


def main() -> int:
    for line in synthesize():
        print(f"{line['start']:6.2f}-{line['end']:6.2f} {line['speaker']}: {line['text']}")
    print(f"{OUT}: {OUT.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
