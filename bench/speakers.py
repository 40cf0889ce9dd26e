"""Speaker diarization benchmark: diarization error, CPU time and memory on one-channel calls.

    .venv/bin/python bench/speakers.py [--audio ../shared/audio] [--seconds 180] [--threshold 0.5]
    .venv/bin/python bench/speakers.py --profiles [--seconds 180]

--profiles measures the rep found by voice instead: for each call and each of its voices, a profile learnt from
another recording of that voice (the left channel of a stereo call of other lines, scripts/synth_speakers.py; for
the real voices, the multilingual.mp3 reader's English part against a mix of their German part with JFK) must name
that voice's speaker the rep; a profile of a voice absent from the call must name nobody. The baseline in the same
run is "the first speaker is the rep".

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


# "Before" in the same run: the clustering this project had, from the same embeddings (agglomeration alone down to
# 0.42, no second step, no profile as an anchor).
BEFORE = {"threshold": 0.42, "merge_ratio": float("inf")}


def measure(path: Path, threshold: float) -> dict[str, float]:
    """Diarize one call in this process: error (now and before), speakers found, CPU seconds per audio second,
    peak RSS."""
    from enable.transcription import diarization
    from enable.transcription.audio import probe
    from enable.transcription.speaker_model import SpeakerEmbedder
    from enable.transcription.speakers import BLOCK_S, _find

    truth = [tuple(t) for t in json.loads(path.with_suffix(".json").read_text())["turns"]]
    embedder = SpeakerEmbedder()
    embedder.load()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    found, windows = _find(path, embedder, None, BLOCK_S, threshold)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    old = diarization.diarize(windows.spans, windows.vectors, windows.speech, **BEFORE)
    duration = probe(path).duration_s
    names = sorted({n for _, _, n in truth})
    talk = {n: sum(e - s for s, e, m in truth if m == n) for n in names}
    main = max(talk, key=lambda n: talk[n])

    def error(result) -> float:
        return diarization.speaker_share_error(truth, [(t.start, t.end, str(t.speaker)) for t in result.turns])

    return {
        "error": error(found),
        "error_before": error(old),
        "baseline": 1.0 - talk[main] / sum(talk.values()),
        "speakers": found.speakers,
        "speakers_before": old.speakers,
        "true_speakers": len(names),
        "cpu_per_s": cpu / duration,
        "wall_s": wall,
        "audio_s": duration,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _profile_voice(language: str, index: int, embedder):
    """The voice of synthesized voice `index` learnt from a stereo call's rep channel (other lines than the calls)."""
    from synth_speakers import synthesize_stereo_call

    from enable.transcription.speakers import channel_voice

    path = CACHE / f"stereo_{language}{index}.wav"
    if not path.is_file():
        synthesize_stereo_call(path, rep=index, customer=(index + 1) % 3, language=language, seconds=60)
    return channel_voice(path, embedder, 0)


def _real_profile_mix(audio_dir: Path):
    """The reader's German part (10 s turns) alternating with JFK, and the reader's English part (the profile)."""
    from enable.transcription.audio import decode

    multilingual, jfk = audio_dir / "multilingual.mp3", audio_dir / "jfk.flac"
    if not multilingual.is_file() or not jfk.is_file():
        return None, None
    import wave

    reader, kennedy = decode(multilingual), decode(jfk)
    rate = 16000
    path = CACHE / "real_profile_mix.wav"
    pieces, turns, at = [], [], 0.0
    for index, start in enumerate(range(31 * rate, len(reader), 10 * rate)):
        quote = kennedy[(index % 2) * 5 * rate : (index % 2) * 5 * rate + 5 * rate]
        for name, piece in (("reader", reader[start : start + 10 * rate]), ("jfk", quote)):
            pieces.append(piece)
            turns.append((round(at, 3), round(at + len(piece) / rate, 3), name))
            at += len(piece) / rate
    CACHE.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(np.concatenate(pieces), -1, 1) * 32767).astype("<i2").tobytes())
    path.with_suffix(".json").write_text(json.dumps({"turns": turns}) + "\n")
    return path, reader[: 28 * rate]


def profiles(args) -> int:
    """The rep found by voice: the share of calls with a profile whose rep is named right, and strangers named."""
    from enable.transcription.diarization import THRESHOLD
    from enable.transcription.speaker_model import SpeakerEmbedder
    from enable.transcription.speakers import BLOCK_S, _find, speaker_name
    from enable.transcription.voiceprint import PROFILE_MARGIN, PROFILE_THRESHOLD, mean_voice, similarity

    embedder = SpeakerEmbedder()
    embedder.load()
    trials: list[tuple[str, Path, dict[str, object], list[str]]] = []  # call, path, profiles, voices absent
    for language, voices in CASES:
        path = synthesized(language, voices, args.seconds)
        learnt = {f"voice{i + 1}": _profile_voice(language, i, embedder) for i in range(3)}
        absent = [f"voice{i + 1}" for i in range(voices, 3)]
        trials.append((f"{language} {voices} voices", path, learnt, absent))
        if (language, voices) == ("en", 2):
            trials.append(("en 2 voices, phone", phone_quality(path), learnt, absent))
    mix, english = _real_profile_mix(args.audio)
    if mix is not None:
        windows = embedder.windows(english)
        seconds = float((windows.speech[:, 1] - windows.speech[:, 0]).sum())
        stranger = _profile_voice("en", 0, embedder)
        trials.append(("real voices (reader DE + JFK)", mix, {"reader": mean_voice(windows.vectors, seconds),
                                                             "synthetic": stranger}, ["synthetic"]))
    print(f"profile threshold {PROFILE_THRESHOLD}, margin {PROFILE_MARGIN}; right = the profile's voice named rep "
          "(now: the call's rep's profile as an anchor of diarization, as the pipeline does; before: the clustering "
          "this project had, no anchor); baseline = first speaker")
    print(f"{'call':32} {'reps':>5} {'right':>6} {'before':>7} {'baseline':>9} {'strangers named':>16}  "
          "similarities now (own, others)")
    totals = dict.fromkeys(("right", "before", "baseline", "total", "strangers", "stranger_trials"), 0)
    for name, path, learnt, absent in trials:
        truth = [tuple(t) for t in json.loads(path.with_suffix(".json").read_text())["turns"]]
        _found, windows = _find(path, embedder, None, BLOCK_S, THRESHOLD)
        row = dict.fromkeys(("right", "before", "baseline", "total", "strangers"), 0)
        sims = []
        for voice, profile in learnt.items():
            if profile is None:
                continue
            named, owner, voices = _named(truth, windows, profile, anchor=True)
            if voice in absent:
                totals["stranger_trials"] += 1
                row["strangers"] += named is not None
                near = sorted((similarity(profile.vector, v.vector) for v in voices.values()), reverse=True)
                sims.append("stranger " + "/".join(f"{x:.2f}" for x in near[:2]))
                continue
            row["total"] += 1
            row["right"] += named is not None and owner.get(named) == voice
            old_named, old_owner, _old = _named(truth, windows, profile, anchor=False)
            row["before"] += old_named is not None and old_owner.get(old_named) == voice
            row["baseline"] += old_owner.get(speaker_name(0)) == voice
            mine = [similarity(profile.vector, v.vector) for n, v in voices.items() if owner.get(n) == voice]
            theirs = [similarity(profile.vector, v.vector) for n, v in voices.items() if owner.get(n) != voice]
            sims.append(f"{max(mine, default=0):.2f}/{max(theirs, default=0):.2f}")
        for key, value in row.items():
            totals[key] += value
        print(f"{name:32} {row['total']:5d} {row['right']:6d} {row['before']:7d} {row['baseline']:9d} "
              f"{row['strangers']:>9d} of {len(absent):<4d}  " + " ".join(sims))
    total = max(totals["total"], 1)
    print(f"rep identified on {totals['right']}/{totals['total']} = {totals['right'] / total:.0%} of calls with a "
          f"profile (target >= 95%); before {totals['before']}/{totals['total']} = {totals['before'] / total:.0%} "
          f"(a voice diarization merged into another's has no speaker to name); baseline (first speaker) "
          f"{totals['baseline'] / total:.0%}; strangers named rep {totals['strangers']}/{totals['stranger_trials']}")
    return 0


def _named(truth, windows, profile, anchor: bool):
    """The speaker the profile names rep on a call's windows (now with the profile as an anchor, or before), the
    true voice each found speaker holds most of, and the found speakers' voices."""
    from enable.transcription.diarization import diarize
    from enable.transcription.speakers import speaker_name, speaker_voices
    from enable.transcription.voiceprint import closest_speaker

    if anchor:
        found = diarize(windows.spans, windows.vectors, windows.speech, anchor=profile.vector)
    else:
        found = diarize(windows.spans, windows.vectors, windows.speech, **BEFORE)
    voices = speaker_voices(found, windows)
    owner = {}  # found speaker name -> the true voice it overlaps most
    for index in range(found.speakers):
        overlap: dict[str, float] = {}
        for turn in (t for t in found.turns if t.speaker == index):
            for start, end, who in truth:
                overlap[who] = overlap.get(who, 0.0) + max(0.0, min(end, turn.end) - max(start, turn.start))
        owner[speaker_name(index)] = max(overlap, key=lambda k: overlap[k]) if overlap else None
    return closest_speaker(profile, voices), owner, voices


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=SHARED_AUDIO, help="folder of the real recordings")
    parser.add_argument("--seconds", type=float, default=180.0, help="length of the synthesized calls")
    parser.add_argument("--threshold", type=float, default=None, help="clustering threshold (default: the code's)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)  # a child run: measure this call only
    parser.add_argument("--profiles", action="store_true", help="measure the rep found by voice profiles")
    args = parser.parse_args()
    if args.profiles:
        return profiles(args)
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
        calls.append(("real voices, phone", phone_quality(mix)))
    else:
        print(f"({args.audio} absent: no real-voice mix)")
    print(f"threshold {threshold}; error = missed + wrong-speaker share of speech; before = the clustering this "
          f"project had ({BEFORE['threshold']}, one step), same embeddings; baseline = one speaker for all")
    print(f"{'call':30} {'audio s':>8} {'found':>6} {'error':>7} {'before':>6} {'error':>7} {'baseline':>9} "
          f"{'CPU s/s':>8} {'peak MB':>8}")
    rows = []
    for name, path in calls:
        out = subprocess.run([sys.executable, __file__, "--one", str(path), "--threshold", str(threshold)],
                             check=True, capture_output=True, text=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append((name, row))
        print(f"{name:30} {row['audio_s']:8.0f} {row['speakers']:>3}/{row['true_speakers']:<2} "
              f"{row['error']:7.1%} {row['speakers_before']:>4}/{row['true_speakers']:<1} {row['error_before']:7.1%} "
              f"{row['baseline']:9.1%} {row['cpu_per_s']:8.3f} {row['peak_mb']:8.0f}")
    errors = [r["error"] for _, r in rows]
    two = [r["error"] for n, r in rows if "2 voices" in n]
    print(f"mean error {np.mean(errors):.1%} (two-voice calls {np.mean(two):.1%}, target <= 10%), before "
          f"{np.mean([r['error_before'] for _, r in rows]):.1%} (two-voice calls "
          f"{np.mean([r['error_before'] for n, r in rows if '2 voices' in n]):.1%}); "
          f"baseline mean {np.mean([r['baseline'] for _, r in rows]):.1%}; "
          f"CPU {np.mean([r['cpu_per_s'] for _, r in rows]):.3f} s per audio second; "
          f"peak {max(r['peak_mb'] for _, r in rows):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
