from hypothesis import given, settings
from hypothesis import strategies as st

from enable.transcription import Segment, Word
from enable.transcription.segments import BACKCHANNEL_S, MAX_PAUSE_S, build_segments, ends_sentence, merge_by_time


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


def spoken(*lines):
    """Words of (speaker, start, seconds per word, text) lines, merged in time order as one mixed pass hears them,
    with their raw texts."""
    words = []
    for speaker, start, step, text in lines:
        for i, token in enumerate(text.split()):
            words.append(Word(round(start + i * step, 3), round(start + (i + 1) * step - 0.02, 3), token, 0.9, speaker))
    words.sort(key=lambda w: w.start)
    return words, [f" {w.text}" for w in words]


def test_two_people_talking_at_once_keep_their_sentences_whole_ordered_by_start():
    words, raw = spoken(
        ("rep", 0.1, 0.4, "He began a confused complaint against the wizard."),
        ("customer", 0.2, 0.5, "The horizon seems extremely distant."),
    )
    segments = build_segments(words, raw, None)
    assert [(s.speaker, s.text) for s in segments] == [
        ("rep", "He began a confused complaint against the wizard."),
        ("customer", "The horizon seems extremely distant."),
    ]
    assert all(w.speaker == s.speaker for s in segments for w in s.words)
    assert not any(s.overlap for s in segments)  # neither is a short backchannel


def test_a_backchannel_inside_a_sentence_does_not_split_it_and_is_marked():
    words, raw = spoken(
        ("rep", 0.0, 0.4, "So the real problem is that procurement wants a three year deal."),
        ("customer", 2.1, 0.3, "Yeah."),
    )
    segments = build_segments(words, raw, None)
    assert [(s.speaker, s.text, s.overlap) for s in segments] == [
        ("rep", "So the real problem is that procurement wants a three year deal.", False),
        ("customer", "Yeah.", True),
    ]


def test_a_backchannel_in_a_pause_of_the_sentence_does_not_split_it():
    # the rep stops for 0.7 s mid-sentence, the customer says "угу" in the gap, the rep goes on
    words, raw = spoken(("rep", 0.0, 0.4, "The price"), ("customer", 0.95, 0.4, "угу"),
                        ("rep", 1.5, 0.4, "includes support and training."))
    segments = build_segments(words, raw, None)
    assert [(s.speaker, s.text, s.overlap) for s in segments] == [
        ("rep", "The price includes support and training.", False),
        ("customer", "угу", True),
    ]


def test_a_short_answer_between_two_sentences_is_a_turn_not_a_backchannel():
    words, raw = spoken(("rep", 0.0, 0.4, "How many sellers?"), ("customer", 1.5, 0.4, "Forty."),
                        ("rep", 2.2, 0.4, "Great, thanks."))
    segments = build_segments(words, raw, None)
    assert [(s.speaker, s.text, s.overlap) for s in segments] == [
        ("rep", "How many sellers?", False),
        ("customer", "Forty.", False),
        ("rep", "Great, thanks.", False),
    ]


def test_a_long_interjection_inside_a_sentence_is_not_a_backchannel():
    words, raw = spoken(("rep", 0.0, 0.5, "We could start the pilot in March with two teams"),
                        ("customer", 1.0, 0.4, "No we need it sooner."))
    segments = build_segments(words, raw, None)
    assert [(s.speaker, s.overlap) for s in segments] == [("rep", False), ("customer", False)]


def test_merged_channels_mark_a_backchannel_said_across_two_sentences():
    rep = [Segment(0.0, 3.0, "That is the price.", "rep"), Segment(3.1, 6.0, "It includes support.", "rep")]
    customer = [Segment(2.8, 3.4, "Mm-hm.", "customer"), Segment(7.0, 7.5, "Okay.", "customer")]
    merged = merge_by_time(customer, rep)
    assert [(s.text, s.overlap) for s in merged] == [
        ("That is the price.", False), ("Mm-hm.", True), ("It includes support.", False), ("Okay.", False),
    ]


def test_one_voice_without_speakers_is_cut_as_before():
    words, raw = spoken((None, 0.0, 0.4, "Hi Dana."), (None, 0.9, 0.4, "How are you?"))
    segments = build_segments(words, raw, None)
    assert [(s.speaker, s.text, s.overlap) for s in segments] == [
        (None, "Hi Dana.", False), (None, "How are you?", False),
    ]


@st.composite
def two_voices(draw):
    """Words of two speakers, each on their own clock (so they overlap anywhere), merged in time order."""
    words = []
    for speaker in ("rep", "customer"):
        t = draw(st.floats(0, 5))
        for k in range(draw(st.integers(0, 40))):
            length = draw(st.floats(0.05, 0.8))
            mark = draw(st.sampled_from(["", "", "", ",", ".", "?"]))
            words.append(Word(round(t, 3), round(t + length, 3), f"w{k}{mark}", 0.9, speaker))
            t += length + draw(st.sampled_from([0.0, 0.1, 0.4, 1.2, 3.0]))
    words.sort(key=lambda w: (w.start, w.end))
    return words


@settings(max_examples=200, deadline=None)
@given(two_voices())
def test_every_word_lands_in_one_segment_of_its_own_speaker_and_backchannels_lie_inside_others(words):
    segments = build_segments(words, [f" {w.text}" for w in words], None)
    placed = [w for s in segments for w in s.words]
    assert sorted(map(id, placed)) == sorted(map(id, words))  # every word once
    assert [(s.start, s.end) for s in segments] == sorted((s.start, s.end) for s in segments)
    for segment in segments:
        assert {w.speaker for w in segment.words} == {segment.speaker}
        assert [w.start for w in segment.words] == sorted(w.start for w in segment.words)
        assert all(b.start - a.end <= MAX_PAUSE_S for a, b in zip(segment.words, segment.words[1:], strict=False))
        assert segment.text == " ".join(w.text for w in segment.words)
        if segment.overlap:
            assert segment.duration_s < BACKCHANNEL_S
            others = [w for w in words if w.speaker != segment.speaker]
            assert min(w.start for w in others) <= segment.start and segment.end <= max(w.end for w in others)
