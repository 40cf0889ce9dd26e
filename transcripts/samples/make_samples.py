"""Make the sample calls that ship with Enable: synthesized stereo audio and its real transcript.

Run from the repository root (needs espeak-ng and ffmpeg):

    .venv/bin/python transcripts/samples/make_samples.py

For each <slug>.txt script here (``SPEAKER: TEXT`` lines, rep on the left channel, customer on
the right) it writes <slug>.ogg (Opus), then transcribes it with the pipeline's Transcriber and
the taxonomy's hotwords, as an upload would be, into <slug>.json and <slug>.vtt. `flask demo
load` imports them as calls without transcribing again.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEED_WPM = 135  # a little slower than the test dialogue: the small model mishears fast synthetic speech
VOICES = {"rep": "en-us+m3", "customer": "en-us+f3"}  # rep on the left channel, customer on the right
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from synth_dialogue import read_script, synthesize_dialogue  # noqa: E402

from enable.taxonomy.models import HOTWORD_KINDS  # noqa: E402
from enable.taxonomy.services import parse_taxonomy  # noqa: E402
from enable.transcription.transcriber import Transcriber  # noqa: E402
from enable.transcription.vtt import to_webvtt  # noqa: E402


def taxonomy_hotwords(path: Path) -> list[str]:
    """Competitor and product names and phrases from the taxonomy file (as taxonomy.services.hotwords)."""
    words: dict[str, None] = {}
    for spec in parse_taxonomy(path):
        if spec.kind in HOTWORD_KINDS:
            for name in [spec.names.get("en"), *(phrase for _, phrase in spec.phrases)]:
                if name:
                    words[name] = None
    return list(words)


def make_sample(script: Path, transcriber: Transcriber, hotwords: list[str]) -> None:
    """Synthesize one script and transcribe it into <slug>.ogg, .json and .vtt beside it."""
    slug = script.stem
    audio = HERE / f"{slug}.ogg"
    with tempfile.TemporaryDirectory() as tmp:
        # The synthesizer writes a sidecar .json of scripted times; keep it out of the way of the transcript.
        rendered = Path(tmp) / f"{slug}.ogg"
        timed = synthesize_dialogue(read_script(script), rendered, voices=VOICES, speed_wpm=SPEED_WPM)
        rendered.replace(audio)
    transcript = transcriber.transcribe(audio, hotwords=hotwords, rep_channel=0)
    (HERE / f"{slug}.json").write_text(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    (HERE / f"{slug}.vtt").write_text(to_webvtt(transcript), encoding="utf-8")
    print(f"{slug}: {timed[-1].end:.0f} s, {len(transcript.segments)} segments, speakers {transcript.speakers}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="only these samples (default: every <slug>.txt here)")
    args = parser.parse_args(argv)
    scripts = sorted(HERE.glob("*.txt"))
    if args.slugs:
        scripts = [s for s in scripts if s.stem in args.slugs]
    transcriber = Transcriber()
    hotwords = taxonomy_hotwords(REPO / "content" / "taxonomy.yaml")
    for script in scripts:
        make_sample(script, transcriber, hotwords)
    return 0


if __name__ == "__main__":
    sys.exit(main())
