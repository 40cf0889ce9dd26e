"""Synthesize one-channel conversations of 2-3 distinct voices with known speaker turns, for diarization tests and
bench/speakers.py.

    .venv/bin/python scripts/synth_speakers.py --voices 2 --language en --seconds 180 --out /tmp/call.wav

Writes a 16 kHz mono WAV and beside it a JSON of the true turns (`{"turns": [[start, end, speaker], ...]}`).
Turns last 2-20 s; about a tenth of the speech time overlaps (the next speaker starts before the other ends), and
short backchannels ("mm-hm", "угу") fall inside the other's turns. espeak-ng voices (English, Russian) and
Festival's Russian voice, each shifted in pitch and formants by sox (the `pitch` effect moves both), so that the voices
are as far apart to a speaker model as people are: espeak's own voices are not (similarity 0.72 between two of them
against 0.77 within one).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth_dialogue import RATE, read_script, speak  # noqa: E402

OUT_RATE = 16000
SCRIPT_FILE = Path(__file__).resolve().parent / "sales_dialogue.txt"
# (synthesizer voice, sox pitch shift in cents); voices measured far apart by CAM++ (cosine similarity <= 0.47)
VOICES = {
    "en": [("en-us+klatt4", -500), ("en-gb-x-rp+f5", 350), ("en-gb+f4", 200)],
    "ru": [("festival:msu_ru_nsh_clunits", -200), ("ru+f5", 350), ("ru+klatt4", -500)],
}
BACKCHANNELS = {"en": ["Mm-hm.", "Yeah.", "Right."], "ru": ["Угу.", "Да.", "Ага."]}
RUSSIAN_LINES = [
    "Добрый день, спасибо, что нашли время для звонка.",
    "Расскажите, пожалуйста, сколько человек работает в вашем отделе продаж.",
    "У нас около сорока продавцов в двух офисах и небольшая команда менеджеров.",
    "Как новые сотрудники изучают продукт, когда приходят в компанию?",
    "В основном они слушают звонки опытных коллег и читают внутреннюю базу знаний.",
    "Мы помогаем именно с этим: лучшие звонки превращаются в короткие уроки.",
    "Честно говоря, это слишком дорого для нас, бюджета на этот год уже нет.",
    "Понимаю. Многие клиенты начинали с небольшого пилота в одном офисе.",
    "Хорошо, давайте посмотрим, как это выглядит на практике.",
    "Каждый звонок расшифровывается автоматически и делится на короткие фрагменты.",
    "А могут ли руководители добавлять свои собственные метки к фрагментам?",
    "Да, руководитель может отметить любой звонок как хороший пример для команды.",
    "Сколько времени обычно занимает внедрение в компании нашего размера?",
    "Обычно две или три недели, включая обучение руководителей и настройку.",
]


def _shifted(samples: np.ndarray, cents: int) -> np.ndarray:
    """Samples at 22.05 kHz shifted in pitch and formants by sox, returned at 16 kHz."""
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.wav", Path(tmp) / "out.wav"
        with wave.open(str(source), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes((np.clip(samples * 0.7, -1, 1) * 32767).astype("<i2").tobytes())
        effects = ["pitch", str(cents)] if cents else []
        subprocess.run(["sox", str(source), "-r", str(OUT_RATE), str(target), *effects], check=True,
                       capture_output=True)
        with wave.open(str(target), "rb") as result:
            return np.frombuffer(result.readframes(result.getnframes()), dtype="<i2").astype(np.float32) / 32768


def _voice(text: str, voice: tuple[str, int]) -> np.ndarray:
    return _shifted(speak(text, voice[0]), voice[1])


def _lines(language: str) -> list[str]:
    if language == "ru":
        return RUSSIAN_LINES
    return [line.text for line in read_script(SCRIPT_FILE)]


def synthesize_conversation(out_path: Path, voices: int = 2, language: str = "en", seconds: float = 180.0,
                            overlap: float = 0.1, seed: int = 0) -> list[tuple[float, float, str]]:
    """Write a one-channel conversation of `voices` speakers, at least `seconds` long, to out_path (16 kHz WAV) and
    its true turns to out_path with .json; returns the turns (start, end, speaker name)."""
    rng = np.random.default_rng(seed)
    lines = _lines(language)
    chosen = VOICES[language][:voices]
    names = [f"voice{i + 1}" for i in range(voices)]
    pieces: list[tuple[int, np.ndarray, str]] = []
    turns: list[tuple[float, float, str]] = []
    cursor = int(0.5 * OUT_RATE)
    speaker = 0
    line = 0
    while cursor < seconds * OUT_RATE:
        # a turn of 1-3 lines: about 2-20 s
        text = " ".join(lines[(line + k) % len(lines)] for k in range(int(rng.integers(1, 4))))
        line += 3
        samples = _voice(text, chosen[speaker])[: 20 * OUT_RATE]
        start = cursor
        if turns and rng.random() < overlap * 5:  # cut in before the other ends (about `overlap` of the speech)
            start = max(int(turns[-1][0] * OUT_RATE) + OUT_RATE, cursor - int(rng.uniform(1.0, 2.5) * OUT_RATE))
        pieces.append((start, samples, names[speaker]))
        turns.append((start / OUT_RATE, (start + len(samples)) / OUT_RATE, names[speaker]))
        if len(samples) > 8 * OUT_RATE and rng.random() < 0.5:  # the other says "mm-hm" in the middle
            listener = (speaker + 1) % voices
            word = BACKCHANNELS[language][int(rng.integers(len(BACKCHANNELS[language])))]
            short = _voice(word, chosen[listener])
            at = start + len(samples) // 2
            pieces.append((at, short, names[listener]))
            turns.append((at / OUT_RATE, (at + len(short)) / OUT_RATE, names[listener]))
        cursor = start + len(samples) + int(rng.uniform(0.3, 1.0) * OUT_RATE)
        speaker = (speaker + int(rng.integers(1, voices))) % voices if voices > 1 else 0
    total = cursor + int(0.5 * OUT_RATE)
    mix = (rng.standard_normal(total) * 10 ** (-60 / 20)).astype(np.float32)
    for start, samples, _ in pieces:
        mix[start : start + len(samples)] += samples
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out_path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(OUT_RATE)
        out.writeframes((np.clip(mix, -1, 1) * 32767).astype("<i2").tobytes())
    rounded = [(round(a, 3), round(b, 3), n) for a, b, n in sorted(turns)]
    out_path.with_suffix(".json").write_text(json.dumps({"turns": rounded}, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return rounded


def synthesize_stereo_call(out_path: Path, rep: int = 1, customer: int = 2, language: str = "en",
                           seconds: float = 30.0, first_line: int = 5) -> None:
    """Write a two-channel call (16 kHz WAV): voice number `rep` of VOICES (from 0) on the left channel, `customer`
    on the right, taking turns, at least `seconds` long; its lines start at `first_line` of the script (other
    words than the one-channel conversations start with)."""
    lines = _lines(language)
    channels: list[list[np.ndarray]] = [[], []]
    length, line = 0, first_line
    while length < seconds * OUT_RATE:
        side = (line - first_line) % 2
        samples = _voice(lines[line % len(lines)], VOICES[language][rep if side == 0 else customer])
        gap = np.zeros(int(0.6 * OUT_RATE), dtype=np.float32)
        channels[side] += [samples, gap]
        channels[1 - side] += [np.zeros(len(samples), dtype=np.float32), gap]
        length += len(samples) + len(gap)
        line += 1
    stereo = np.stack([np.concatenate(channels[0]), np.concatenate(channels[1])], axis=1)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out_path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(OUT_RATE)
        out.writeframes((np.clip(stereo, -1, 1) * 32767).astype("<i2").tobytes())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--language", default="en", choices=sorted(VOICES))
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    turns = synthesize_conversation(args.out, args.voices, args.language, args.seconds, seed=args.seed)
    print(f"{args.out}: {len(turns)} turns, {turns[-1][1]:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
