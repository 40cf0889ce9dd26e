from enable.transcription import Segment, Word
from enable.transcription.segments import build_segments, ends_sentence, merge_by_time


def words_from(spec):
    """Words from (start, end, raw text) triples, the raw text with Whisper's leading space."""
    words = [Word(start, end, raw.strip(), 0.9, "rep") for start, end, raw in spec]
    return words, [raw for _, _, raw in spec]


def test_segments_end_at_sentence_ends():
    words, raw = words_from(
        [(0.0, 0.4, " Hi"), (0.4, 0.8, " Dana."), (0.9, 1.2, " How"), (1.2, 1.4, " are"), (1.4, 1.8, " you?")]
    )
    segments = build_segments(words, raw, "rep")
    assert [s.text for s in segments] == ["Hi Dana.", "How are you?"]
    assert [(s.start, s.end) for s in segments] == [(0.0, 0.8), (0.9, 1.8)]
    assert all(s.speaker == "rep" for s in segments)


def test_a_long_pause_splits_a_sentence():
    words, raw = words_from([(0.0, 0.5, " We"), (0.5, 1.0, " use"), (4.0, 4.5, " clips"), (4.5, 5.0, " daily.")])
    segments = build_segments(words, raw, "rep")
    assert [s.text for s in segments] == ["We use", "clips daily."]


def test_a_full_stop_inside_a_number_or_before_lowercase_does_not_split():
    words, raw = words_from([(0.0, 0.5, " Version"), (0.5, 1.0, " 2.5"), (1.0, 1.3, " etc."), (1.3, 1.6, " works.")])
    assert [s.text for s in build_segments(words, raw, None)] == ["Version 2.5 etc. works."]


def test_caseless_scripts_split_on_punctuation():
    words, raw = words_from([(0.0, 0.5, " سلام."), (0.6, 1.0, " قیمت"), (1.0, 1.4, " چیست؟")])
    assert [s.text for s in build_segments(words, raw, None)] == ["سلام.", "قیمت چیست؟"]


def test_sentence_end_inside_closing_quotes():
    assert ends_sentence('said "no."')
    assert not ends_sentence("Mr")


def test_merge_by_time_interleaves_speakers():
    rep = [Segment(0.0, 2.0, "a", "rep"), Segment(5.0, 6.0, "c", "rep")]
    customer = [Segment(2.5, 4.0, "b", "customer"), Segment(6.5, 7.0, "d", "customer")]
    assert [s.text for s in merge_by_time(rep, customer)] == ["a", "b", "c", "d"]
