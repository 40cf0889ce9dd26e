"""Ingest benchmark: plain faster-whisper defaults versus Enable's transcription path on one call.

    .venv/bin/python bench/ingest.py [--audio PATH] [--repeat 2] [--beam-size N]
    .venv/bin/python bench/ingest.py --speakers [--audio PATH] [--repeat 2]

--speakers times what finding speakers by voice adds to a one-channel call: the whole pipeline on a mono mix of
the recording with SPEAKER_MODEL off against on (and the same recording's two channels, which need no diarization).

Each run happens in its own subprocess, so each one's peak memory (RSS) is its own. Runs of
the two paths alternate, and the best of --repeat runs counts: the machine may be shared, and
the best run is the one least disturbed by other work. The load average is printed too.
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_AUDIO = REPO / "tests" / "data" / "audio" / "sales_dialogue.ogg"
MIN_AUDIO_S = 300.0
MODEL_CACHE = Path(tempfile.gettempdir()) / "enable-bench-models"  # only "base" is assembled here


# ---------------------------------------------------------------------------------------------
# run_pipeline: the ingest work timed as "enable": the whole pipeline of one call, as a worker runs
# it (enable.pipeline.ingest_call): store the upload, transcribe, write the transcript files, cut
# into bites, tag them from the taxonomy, save them and index them in Whoosh.
# ---------------------------------------------------------------------------------------------
def run_pipeline(path: Path, app: object) -> dict[str, float]:
    """Ingest one recording through the app's pipeline; returns figures of what it produced."""
    from enable import pipeline
    from enable.bites.models import BiteTag
    from enable.calls import services as calls
    from enable.extensions import db
    from enable.search.indexing import get_index

    with app.app_context():  # type: ignore[attr-defined]
        accepted = calls.accept_file(path, calls.CallDetails(stage="discovery"))
        db.session.commit()
        call = pipeline.ingest_call(accepted.call.id)
        if call is None or call.status.value != "ready":
            raise SystemExit(f"the pipeline did not finish: {getattr(call, 'error', None)}")
        transcript = calls.read_transcript(call.id)
        return {
            "segments": len(transcript.segments),
            "words": sum(1 for _ in transcript.words()),
            "bites": len(call.bites),
            "tags": db.session.query(BiteTag).count(),
            "indexed": get_index().count(),
        }


def _pipeline_app(model: str, beam_size: int | None, folder: Path, speaker_model: str | None = None) -> object:
    """An app on an empty data folder with the starter taxonomy, its speech (and speaker) models loaded (not
    timed): a worker loads them once, not per call."""
    from enable import create_app, pipeline
    from enable.extensions import db
    from enable.taxonomy.services import load_taxonomy

    app = create_app({"TESTING": True, "SECRET_KEY": "bench-secret-key-not-for-production", "JOBS_IMMEDIATE": True,
                      "ENABLE_DATA_DIR": folder, "TRANSCRIPTS_DIR": folder / "transcripts",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}", "WHISPER_MODEL": model,
                      "MODEL_CACHE_DIR": MODEL_CACHE,
                      **({"SPEAKER_MODEL": speaker_model} if speaker_model is not None else {})})
    with app.app_context():
        db.create_all()
        load_taxonomy(REPO / "content" / "taxonomy.yaml")
        db.session.commit()
        transcriber = pipeline.get_transcriber().transcriber(model)  # the pinned model's own Transcriber
        if beam_size:
            transcriber.beam_size = beam_size
        transcriber.load()
        embedder = pipeline.get_speaker_embedder()
        if embedder is not None:
            embedder.load()
    return app


def _plain(path: Path, model: str) -> dict[str, float]:
    from faster_whisper import WhisperModel

    from enable.transcription import resolve_model

    whisper = WhisperModel(resolve_model(model, MODEL_CACHE), device="cpu", compute_type="int8")
    started, cpu = time.perf_counter(), time.process_time()
    segments, info = whisper.transcribe(str(path))
    count = sum(1 for _ in segments)  # the generator does the work
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "audio_s": info.duration,
        "segments": count,
    }


def _enable(path: Path, model: str, beam_size: int | None, speaker_model: str | None = None) -> dict[str, float]:
    from enable import pipeline
    from enable.transcription import probe

    with tempfile.TemporaryDirectory(prefix="enable-bench-") as tmp:
        app = _pipeline_app(model, beam_size, Path(tmp), speaker_model)
        with app.app_context():  # type: ignore[attr-defined]
            stages = _time_stages(pipeline.get_transcriber().transcriber(model))
        started, cpu = time.perf_counter(), time.process_time()
        produced = run_pipeline(path, app)
        wall = time.perf_counter() - started
        return {
            "wall_s": wall,
            "cpu_s": time.process_time() - cpu,
            "audio_s": probe(path).duration_s,
            **produced,
            **{f"stage_{name}_s": seconds for name, seconds in stages.items()},
            "stage_rest_s": wall - sum(stages.values()),
        }


def _time_stages(transcriber: object) -> dict[str, float]:
    """Wall seconds spent in each stage of transcription, filled in while the pipeline runs: audio decoding,
    voice activity detection, the Whisper encoder, greedy decoding and word alignment (CTranslate2 calls)."""
    import faster_whisper.transcribe as fw_transcribe

    from enable.transcription import transcriber as enable_transcriber

    stages = {"decode audio": 0.0, "vad": 0.0, "encode": 0.0, "generate": 0.0, "align": 0.0}

    def timed(name: str, function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                stages[name] += time.perf_counter() - started
        return run

    def timed_blocks(*args: Any, **kwargs: Any) -> Any:
        blocks = iter(decode_blocks(*args, **kwargs))
        while True:
            started = time.perf_counter()
            block = next(blocks, None)
            stages["decode audio"] += time.perf_counter() - started
            if block is None:
                return
            yield block

    class TimedModel:  # CTranslate2's Whisper object, its three heavy calls timed
        def __init__(self, inner: Any) -> None:
            self._inner = inner
            self.encode = timed("encode", inner.encode)
            self.generate = timed("generate", inner.generate)
            self.align = timed("align", inner.align)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._inner, name)

    decode_blocks = enable_transcriber.decode_blocks
    enable_transcriber.decode_blocks = timed_blocks
    fw_transcribe.get_speech_timestamps = timed("vad", fw_transcribe.get_speech_timestamps)
    whisper = transcriber.load()  # type: ignore[attr-defined]
    whisper.model = TimedModel(whisper.model)
    return stages


def _worker(kind: str, path: Path, model: str, beam_size: int | None) -> None:
    if kind == "plain":
        figures = _plain(path, model)
    else:
        figures = _enable(path, model, beam_size, speaker_model="none" if kind == "no-speakers" else None)
    # ru_maxrss is in KiB on Linux
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def _run(kind: str, args: argparse.Namespace, audio: Path | None = None) -> dict[str, float]:
    command = [sys.executable, __file__, "--worker", kind, "--audio", str(audio or args.audio), "--model", args.model]
    if args.beam_size:
        command += ["--beam-size", str(args.beam_size)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description="Time plain faster-whisper against Enable's ingest.")
    parser.add_argument("--audio", type=Path, default=DEFAULT_AUDIO, help="a recording of 5+ minutes")
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each path; the best counts")
    parser.add_argument("--beam-size", type=int, help="beam size for Enable's path (default: Transcriber's)")
    parser.add_argument("--speakers", action="store_true",
                        help="time speaker diarization on a one-channel mix: SPEAKER_MODEL off against on")
    parser.add_argument("--worker", choices=["plain", "enable", "no-speakers"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.audio, args.model, args.beam_size)
        return 0
    if args.speakers:
        return _speakers(args)

    runs: dict[str, list[dict[str, float]]] = {"plain": [], "enable": []}
    load_before = os.getloadavg()[0]
    for _ in range(args.repeat):
        for kind in runs:
            runs[kind].append(_run(kind, args))
    load_after = os.getloadavg()[0]

    audio_s = runs["plain"][0]["audio_s"]
    if audio_s < MIN_AUDIO_S:
        print(f"warning: {args.audio} lasts {audio_s:.0f} s; the benchmark is meant for 5+ minutes")
    print(
        f"audio: {args.audio.name}, {audio_s:.1f} s; model {args.model}; {os.cpu_count()} CPUs; "
        f"load average {load_before:.1f} before, {load_after:.1f} after"
    )
    print(f"{'path':<8} {'wall s':>8} {'cpu s':>8} {'audio s / wall s':>17} {'peak RSS MB':>12}   all runs (wall s)")
    best = {}
    for kind, results in runs.items():
        best[kind] = min(results, key=lambda r: r["wall_s"])
        b = best[kind]
        walls = ", ".join(f"{r['wall_s']:.1f}" for r in results)
        print(
            f"{kind:<8} {b['wall_s']:>8.1f} {b['cpu_s']:>8.1f} {audio_s / b['wall_s']:>17.1f} "
            f"{max(r['peak_rss_mb'] for r in results):>12.0f}   {walls}"
        )
    ratio = best["plain"]["wall_s"] / best["enable"]["wall_s"]
    cpu_ratio = best["plain"]["cpu_s"] / best["enable"]["cpu_s"]
    print(f"enable vs plain: {ratio:.2f}x faster (wall), {cpu_ratio:.2f}x less CPU time; target >= 2x wall")
    e = best["enable"]
    stages = {key[len("stage_"):-len("_s")]: value for key, value in e.items() if key.startswith("stage_")}
    print("enable's wall time by stage: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stages.items()))
    if "bites" in e:
        print(f"enable produced {e['words']:.0f} timed words, {e['bites']:.0f} bites, {e['tags']:.0f} tags, "
              f"{e['indexed']:.0f} indexed bites (plain: {best['plain']['segments']:.0f} segments, no word times)")
    return 0


def _speakers(args: argparse.Namespace) -> int:
    """Diarization's cost on one call: the pipeline on a mono mix with speakers off and on, and on the two-channel
    original (speakers from its channels), runs alternating, best of --repeat each."""
    with tempfile.TemporaryDirectory(prefix="enable-bench-mono-") as tmp:
        mono = Path(tmp) / f"{args.audio.stem}-mono.wav"
        subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(args.audio), "-ac", "1", "-ar", "16000", str(mono)],
                       check=True)
        cases = {"mono, speakers off": ("no-speakers", mono), "mono, speakers on": ("enable", mono),
                 "stereo (channels)": ("enable", args.audio)}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in cases}
        load_before = os.getloadavg()[0]
        for _ in range(args.repeat):
            for name, (kind, audio) in cases.items():
                runs[name].append(_run(kind, args, audio))
        load_after = os.getloadavg()[0]
    best = {name: min(results, key=lambda r: r["wall_s"]) for name, results in runs.items()}
    print(f"audio: {args.audio.name}, {best['mono, speakers off']['audio_s']:.1f} s; model {args.model}; "
          f"load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"{'case':<20} {'wall s':>8} {'cpu s':>8} {'peak RSS MB':>12}   all runs (wall s)")
    for name, b in best.items():
        walls = ", ".join(f"{r['wall_s']:.1f}" for r in runs[name])
        print(f"{name:<20} {b['wall_s']:>8.1f} {b['cpu_s']:>8.1f} {max(r['peak_rss_mb'] for r in runs[name]):>12.0f}"
              f"   {walls}")
    off, on = best["mono, speakers off"], best["mono, speakers on"]
    peak = {name: max(r["peak_rss_mb"] for r in results) for name, results in runs.items()}
    print(f"diarization adds {100 * (on['wall_s'] / off['wall_s'] - 1):+.0f}% wall, "
          f"{100 * (on['cpu_s'] / off['cpu_s'] - 1):+.0f}% CPU and "
          f"{peak['mono, speakers on'] - peak['mono, speakers off']:+.0f} MB peak to a one-channel call "
          f"(targets: <= +20% wall, <= +300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
