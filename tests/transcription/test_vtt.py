import re

import pytest

from enable.transcription import Segment, Transcript, Word, to_webvtt
from enable.transcription.vtt import MAX_CUE_S, MAX_LINE_CHARS, format_timestamp

from .webvtt_check import parse_webvtt


def spoken(start, text, speaker=None, word_s=0.4):
    """A segment whose words last `word_s` seconds each, back to back."""
    words = [
        Word(round(start + i * word_s, 3), round(start + (i + 1) * word_s, 3), part, 0.9, speaker)
        for i, part in enumerate(text.split())
    ]
    return Segment(words[0].start, words[-1].end, text, speaker, words)


def transcript_of(*segments, speakers=()):
    return Transcript("en", 600.0, "tiny.en", 2 if speakers else 1, list(speakers), list(segments), {})


@pytest.mark.parametrize(
    ("seconds", "stamp"),
    [(0, "00:00:00.000"), (1.5, "00:00:01.500"), (61.0004, "00:01:01.000"), (3725.25, "01:02:05.250")],
)
def test_timestamps_are_hours_minutes_seconds_millis(seconds, stamp):
    assert format_timestamp(seconds) == stamp


def test_cues_carry_voice_tags_when_speakers_are_known():
    vtt = to_webvtt(
        transcript_of(
            spoken(1.0, "Hi Dana, how are you?", "rep"),
            spoken(4.0, "Fine, thanks.", "customer"),
            speakers=["rep", "customer"],
        )
    )
    cues = parse_webvtt(vtt)
    assert [cue.lines[0] for cue in cues] == ["<v rep>Hi Dana, how are you?", "<v customer>Fine, thanks."]
    assert cues[0].start == 1.0 and cues[0].end == pytest.approx(3.0)


def test_no_voice_tags_for_a_mono_recording():
    vtt = to_webvtt(transcript_of(spoken(0.0, "Ask not what your country can do for you.")))
    assert "<v" not in vtt
    assert parse_webvtt(vtt)[0].lines == ["Ask not what your country can do for you."]


def test_long_segments_are_split_into_short_two_line_cues():
    text = " ".join(f"word{i}" for i in range(60))  # 24 s of speech, 400 characters
    cues = parse_webvtt(to_webvtt(transcript_of(spoken(10.0, text, "rep"), speakers=["rep"])))
    assert len(cues) > 4
    for cue in cues:
        assert cue.end - cue.start <= MAX_CUE_S + 0.001
        assert len(cue.lines) <= 2
        assert all(len(re.sub(r"^<v [^>]*>", "", line)) <= MAX_LINE_CHARS for line in cue.lines)
    spoken_words = " ".join(re.sub(r"^<v [^>]*>", "", line) for cue in cues for line in cue.lines).split()
    assert spoken_words == text.split()


def test_markup_characters_in_speech_are_escaped():
    cues = parse_webvtt(to_webvtt(transcript_of(spoken(0.0, "R&D said <maybe> --> later"))))
    assert cues[0].lines == ["R&amp;D said &lt;maybe&gt; --&gt; later"]


def test_a_time_range_keeps_only_its_cues_in_call_time_or_relative():
    transcript = transcript_of(spoken(0.0, "first part"), spoken(30.0, "second part"), spoken(60.0, "third part"))
    cues = parse_webvtt(to_webvtt(transcript, start=25.0, end=50.0))
    assert [(cue.start, cue.lines) for cue in cues] == [(30.0, ["second part"])]
    relative = parse_webvtt(to_webvtt(transcript, start=25.0, end=50.0, relative=True))
    assert relative[0].start == pytest.approx(5.0)


def test_zero_length_words_still_give_valid_cues():
    word = Word(5.0, 5.0, "Yes.", 0.5, None)
    vtt = to_webvtt(transcript_of(Segment(5.0, 5.0, "Yes.", None, [word])))
    assert parse_webvtt(vtt)[0].end > 5.0


def test_an_empty_transcript_is_a_valid_empty_document():
    assert to_webvtt(transcript_of()) == "WEBVTT\n"
    assert parse_webvtt(to_webvtt(transcript_of())) == []


def test_two_people_talking_at_once_get_cues_of_their_own_sentences():
    rep = spoken(0.1, "He began a confused complaint.", "rep", word_s=0.3)
    customer = spoken(0.2, "The horizon seems distant.", "customer", word_s=0.35)
    document = to_webvtt(transcript_of(customer, rep, speakers=("rep", "customer")))
    cues = document.strip().split("\n\n")[1:]
    assert [cue.split("\n", 1)[1] for cue in cues] == [
        "<v rep>He began a confused complaint.", "<v customer>The horizon seems distant.",
    ]
