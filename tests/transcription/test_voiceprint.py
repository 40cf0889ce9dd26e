"""Voice profiles, pure: folding voices by seconds of speech, the closest speaker above the threshold, renaming."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from enable.transcription.types import Segment, Transcript, Word
from enable.transcription.voiceprint import (
    MAX_PROFILE_S,
    PROFILE_THRESHOLD,
    Voice,
    closest_speaker,
    fold,
    mean_voice,
    rename_speakers,
    rep_names,
    similarity,
)


def _unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_a_voice_survives_its_stored_bytes():
    voice = Voice(_unit(1, 2, 3), 12.5)
    again = Voice.from_bytes(voice.to_bytes(), voice.seconds)
    assert np.allclose(again.vector, voice.vector) and again.seconds == 12.5


def test_folding_weighs_by_seconds_of_speech():
    profile = Voice(_unit(1, 0), 90.0)
    folded = fold(profile, Voice(_unit(0, 1), 10.0))
    assert folded.seconds == 100.0
    assert np.isclose(np.linalg.norm(folded.vector), 1.0)
    # 90 s of one voice against 10 s of another: the profile moves a little, toward the new voice
    assert np.allclose(folded.vector, _unit(0.9, 0.1))
    assert fold(None, Voice(_unit(0, 1), 5.0)).seconds == 5.0


def test_a_complete_profile_does_not_change():
    complete = Voice(_unit(1, 0), MAX_PROFILE_S)
    assert fold(complete, Voice(_unit(0, 1), 600.0)) is complete


def test_too_little_speech_makes_no_voice():
    assert mean_voice(np.ones((3, 2), dtype=np.float32), 1.0) is None
    assert mean_voice(np.zeros((0, 2), dtype=np.float32), 60.0) is None


def test_the_closest_speaker_above_the_threshold_is_the_rep():
    profile = Voice(_unit(1, 0, 0), 300.0)
    voices = {"speaker1": Voice(_unit(0.2, 1, 0), 30.0), "speaker2": Voice(_unit(1, 0.3, 0), 40.0)}
    assert closest_speaker(profile, voices) == "speaker2"
    strangers = {"speaker1": Voice(_unit(0.3, 1, 0), 30.0), "speaker2": Voice(_unit(0.3, 0, 1), 40.0)}
    assert max(similarity(profile.vector, v.vector) for v in strangers.values()) < PROFILE_THRESHOLD
    assert closest_speaker(profile, strangers) is None
    assert closest_speaker(profile, {}) is None


def test_a_profile_about_as_close_to_two_speakers_names_neither():
    """A voice absent from the call is about as far from each speaker; the rep's own speaker stands out."""
    profile = Voice(_unit(1, 0, 0), 300.0)
    both = {"speaker1": Voice(_unit(1, 0.9, 0), 30.0), "speaker2": Voice(_unit(1, 0, 0.95), 40.0)}
    assert all(similarity(profile.vector, v.vector) >= PROFILE_THRESHOLD for v in both.values())
    assert closest_speaker(profile, both) is None
    assert closest_speaker(profile, {"speaker1": both["speaker1"]}) == "speaker1"


def test_customers_are_numbered_only_when_several():
    assert rep_names(["speaker1", "speaker2"], "speaker2") == {"speaker2": "rep", "speaker1": "customer"}
    assert rep_names(["speaker1", "speaker2", "speaker3"], "speaker2") == {
        "speaker2": "rep", "speaker1": "customer1", "speaker3": "customer2"}
    assert rep_names(["speaker1"], "speaker1") == {"speaker1": "rep"}


def _transcript() -> Transcript:
    words = [Word(0.0, 0.5, "Hello", 0.9, "speaker1"), Word(0.6, 1.0, "there?", 0.9, "speaker1"),
             Word(2.0, 2.5, "Hi", 0.9, "speaker2"), Word(2.6, 4.0, "friend.", 0.9, "speaker2")]
    return Transcript(language="en", duration_s=5.0, model="tiny.en", speakers=["speaker1", "speaker2"],
                      segments=[Segment(0.0, 1.0, "Hello there?", "speaker1", words[:2]),
                                Segment(2.0, 4.0, "Hi friend.", "speaker2", words[2:])])


def test_renaming_changes_every_word_and_segment_and_recomputes_the_figures():
    renamed = rename_speakers(_transcript(), rep_names(["speaker1", "speaker2"], "speaker2"))
    assert renamed.speakers == ["rep", "customer"]
    assert [s.speaker for s in renamed.segments] == ["customer", "rep"]
    assert [w.speaker for w in renamed.words()] == ["customer", "customer", "rep", "rep"]
    assert set(renamed.stats["talk_ratio"]) == {"rep", "customer"}
    assert renamed.stats["questions"]["customer"] == 1


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.lists(st.floats(-1, 1), min_size=4, max_size=4), st.floats(3.0, 500.0)),
                min_size=1, max_size=8))
def test_a_folded_profile_is_unit_length_and_counts_every_second(parts):
    profile = None
    usable = [(np.asarray(v, dtype=np.float32), s) for v, s in parts if np.linalg.norm(v) > 1e-3]
    for vector, seconds in usable:
        profile = fold(profile, Voice(vector / np.linalg.norm(vector), seconds))
    if profile is None:
        return
    assert np.isclose(np.linalg.norm(profile.vector), 1.0, atol=1e-5)
    total = 0.0
    for _, seconds in usable:
        if total >= MAX_PROFILE_S:
            break
        total += seconds
    assert np.isclose(profile.seconds, total)


def test_several_customers_are_shown_numbered(app):
    from enable.calls.services import speaker_label

    with app.test_request_context():
        assert [speaker_label(s) for s in ("rep", "customer", "customer2", "speaker3")] == [
            "Rep", "Customer", "Customer 2", "Speaker 3"]
