"""Language routing without a speech model: which model a language goes to, what uploads may name, and where
a call that changes language is cut, with a detector that tells languages apart by a marker in the samples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enable.transcription.audio import SAMPLE_RATE
from enable.transcription.routing import (
    ACCURATE,
    AUTO,
    CHECK_EVERY_S,
    FAST,
    WINDOW_S,
    LanguageRouter,
    identify_utterances,
    latin_only,
    model_for,
    offered_languages,
    parse_languages,
)

# Each utterance's samples hold one level; the detector below hears the level most of its audio has.
LEVELS = {"en": 0.1, "de": 0.2, "ru": 0.3}


def detector(calls: list[float] | None = None):
    def detect(audio: np.ndarray) -> tuple[str, float]:
        if calls is not None:
            calls.append(len(audio) / SAMPLE_RATE)
        if len(audio) == 0:
            return "", 0.0
        counts = {code: int(np.sum(np.isclose(audio, level))) for code, level in LEVELS.items()}
        best = max(counts, key=lambda code: counts[code])
        return best, counts[best] / len(audio)

    return detect


def recording(utterances: list[tuple[str, float]], pause_s: float = 0.5) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Samples of utterances (language, seconds) separated by silence, and their spans."""
    pieces, spans, at = [], [], 0
    for language, seconds in utterances:
        n, gap = int(seconds * SAMPLE_RATE), int(pause_s * SAMPLE_RATE)
        pieces += [np.full(n, LEVELS[language], dtype=np.float32), np.zeros(gap, dtype=np.float32)]
        spans.append((at, at + n))
        at += n + gap
    return np.concatenate(pieces), spans


def test_a_setting_of_languages_is_read_as_codes():
    assert parse_languages("en, RU,ru,pt_BR,") == ("en", "ru", "pt")
    assert parse_languages(["de"]) == ("de",)


def test_english_goes_to_tiny_en_unless_accuracy_is_asked_for():
    assert model_for("en", FAST) == "tiny.en"
    assert model_for("en", ACCURATE) == "base"
    assert model_for("ru", FAST) == model_for("de", ACCURATE) == "base"


def test_uploads_may_name_the_languages_the_installed_models_handle():
    assert offered_languages(AUTO, ("en", "ru"), installed=True) == ("en", "ru")
    assert offered_languages(AUTO, ("ru",), installed=True) == ("en", "ru")  # English is always handled
    assert offered_languages(AUTO, ("en", "ru"), installed=False) == ("en",)  # no multilingual model: English only
    assert offered_languages("tiny.en", ("en", "ru"), installed=True) == ("en",)
    assert offered_languages("base", ("en", "ru", "fa"), installed=True) == ("en", "ru", "fa")


def test_an_english_model_gets_only_latin_hotwords():
    assert latin_only(["Gong", "Гонг", "Clearview", "Café"]) == ["Gong", "Clearview", "Café"]


def test_a_router_refuses_an_unknown_quality():
    with pytest.raises(ValueError, match="quality"):
        LanguageRouter(quality="best")


def test_a_one_language_call_is_checked_a_few_times_not_everywhere():
    samples, spans = recording([("en", 4.0)] * 180)  # twelve minutes of speech
    calls: list[float] = []
    verdicts = identify_utterances(samples, spans, detector(calls))
    assert {language for language, _ in verdicts} == {"en"}
    # the first 30 s, one window per CHECK_EVERY_S of speech and the last 30 s: one in eight windows or fewer
    assert len(calls) <= 720 / CHECK_EVERY_S + 2
    assert all(seconds <= 30.0 for seconds in calls)


def test_a_change_of_language_falls_between_the_utterances_that_changed():
    samples, spans = recording([("en", 3.0)] * 10 + [("de", 3.0)] * 10)
    verdicts = identify_utterances(samples, spans, detector())
    assert [language for language, _ in verdicts] == ["en"] * 10 + ["de"] * 10


def test_a_short_utterance_joins_the_side_it_is_closer_to():
    # "Jedem," said right before the German sentence, after a long pause from the English one
    samples, spans = recording([("en", 6.0)] * 5 + [("de", 0.8)] + [("de", 6.0)] * 5)
    gap = int(1.5 * SAMPLE_RATE)
    spans = [(s + gap, e + gap) if i >= 5 else (s, e) for i, (s, e) in enumerate(spans)]
    samples = np.concatenate([samples[: spans[4][1]], np.zeros(gap + int(0.5 * SAMPLE_RATE), dtype=np.float32),
                              samples[spans[4][1] + int(0.5 * SAMPLE_RATE):]])
    verdicts = identify_utterances(samples, spans, detector())
    assert [language for language, _ in verdicts] == ["en"] * 5 + ["de"] * 6


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["en", "ru", "de"]),
                          st.integers(min_value=int((CHECK_EVERY_S + WINDOW_S) / 3) + 1, max_value=130)),
                min_size=1, max_size=3))
def test_each_run_of_a_language_longer_than_a_check_and_its_window_is_found(runs):
    # a run longer than CHECK_EVERY_S + WINDOW_S of speech always holds a whole checked window, so it is heard
    utterances = [(language, 3.0) for language, count in runs for _ in range(count)]
    samples, spans = recording(utterances)
    verdicts = identify_utterances(samples, spans, detector())
    wrong = sum(heard != said for (heard, _), (said, _) in zip(verdicts, utterances, strict=True))
    assert wrong == 0


def test_a_two_party_part_heard_again_gives_each_word_the_party_heard_there_first():
    """A part of a stereo call heard again (one mix of both parties) may come back as one segment holding a question
    and its answer: each party gets their own words back, in the part's language and mark."""
    from enable.transcription.routing import _give_speakers
    from enable.transcription.types import Segment, Word

    def said(speaker, *timed):
        words = [Word(start, end, text, 0.9, speaker) for start, end, text in timed]
        return Segment(words[0].start, words[-1].end, " ".join(w.text for w in words), speaker, words)

    first = [said("rep", (0.0, 0.4, "Vas"), (0.5, 0.9, "kostet"), (1.0, 1.3, "dass?")),
             said("customer", (1.6, 1.9, "Zu"), (2.0, 2.5, "viel.")),
             said("rep", (2.7, 3.0, "Okay."))]
    again = said(None, (0.0, 0.4, "Was"), (0.5, 0.9, "kostet"), (1.0, 1.3, "das?"), (1.6, 1.9, "Zu"),
                 (2.0, 2.5, "viel"))
    again.language, again.unsupported_language = "de", True
    given = _give_speakers([again], first)
    assert [(s.speaker, s.text, s.language, s.unsupported_language) for s in given] == [
        ("rep", "Was kostet das?", "de", True), ("customer", "Zu viel", "de", True)]
    assert [w.speaker for s in given for w in s.words] == ["rep"] * 3 + ["customer"] * 2
