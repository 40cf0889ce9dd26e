"""Cutting calls into bites: properties over random transcripts, and hand examples."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from enable.bites.slicer import BiteRange, cut_bites, ends_sentence, flatten_words
from enable.transcription.types import Segment, Word

MIN_S, TARGET_S, MAX_S = 45.0, 120.0, 150.0
VOCAB = ["price", "we", "budget", "quarter", "the", "contract", "цена", "نه", "really", "team"]


def make_call(
    sentences: list[tuple[int, str]],
    *,
    speakers: tuple[str, ...] = ("rep", "buyer"),
    word_s: float = 0.4,
    gap_s: float = 0.1,
    pause_s: float = 0.8,
    start: float = 0.0,
) -> list[Segment]:
    """Segments of (word count, end mark) sentences, one per speaker turn, timed regularly."""
    t = start
    segments = []
    for i, (count, mark) in enumerate(sentences):
        words = []
        for k in range(count):
            text = f" {VOCAB[(i + k) % len(VOCAB)]}" + (mark if k == count - 1 else "")
            words.append(Word(t, t + word_s, text, 0.9, None))
            t += word_s + gap_s
        t += pause_s
        speaker = speakers[i % len(speakers)]
        segments.append(Segment(words[0].start, words[-1].end, "".join(w.text for w in words), speaker, words))
    return segments


def assert_partition(bites: list[BiteRange], n_words: int) -> None:
    assert bites[0].first_word == 0
    assert bites[-1].last_word == n_words - 1
    for a, b in zip(bites, bites[1:], strict=False):
        assert b.first_word == a.last_word + 1
        assert b.start_s >= a.end_s
    for bite in bites:
        assert bite.first_word <= bite.last_word


@st.composite
def calls(draw: st.DrawFn) -> list[Segment]:
    """Random calls: segments of 1-25 words, word lengths, pauses, punctuation, a few without words."""
    t = draw(st.floats(0, 5))
    segments = []
    for _ in range(draw(st.integers(0, 30))):
        if draw(st.integers(0, 9)) == 0:
            length = draw(st.floats(0.5, 30))
            segments.append(Segment(t, t + length, " A segment without word timings.", None, []))
            t += length + draw(st.floats(0, 3))
            continue
        words = []
        for _ in range(draw(st.integers(1, 25))):
            length = draw(st.floats(0.05, 1.5))
            mark = draw(st.sampled_from(["", "", "", ",", ".", "?", "!", "…", "؟"]))
            words.append(Word(t, t + length, f" {VOCAB[len(words) % len(VOCAB)]}{mark}", 0.9, None))
            t += length + draw(st.sampled_from([0.0, 0.05, 0.1, 0.3, 0.8, 1.5, 3.0]))
        speaker = draw(st.sampled_from([None, "rep", "buyer"]))
        segments.append(Segment(words[0].start, words[-1].end, "", speaker, words))
    return segments


def sentence_spans(words: list) -> list[tuple[int, int]]:
    spans, start = [], 0
    for i, w in enumerate(words):
        if ends_sentence(w.text) or i == len(words) - 1:
            spans.append((start, i))
            start = i + 1
    return spans


@settings(max_examples=200, deadline=None)
@given(calls())
def test_every_word_is_in_exactly_one_bite_within_the_length_bounds(segments: list[Segment]) -> None:
    words = flatten_words(segments)
    bites = cut_bites(segments, TARGET_S, MIN_S, MAX_S)
    if not words:
        assert bites == []
        return
    assert_partition(bites, len(words))
    for bite in bites:
        assert bite.start_s == words[bite.first_word].start
        assert bite.end_s == words[bite.last_word].end
    total = words[-1].end - words[0].start
    if total < MIN_S:
        assert len(bites) == 1
        return
    long_sentences = [(a, b) for a, b in sentence_spans(words) if words[b].end - words[a].start > MAX_S]
    for bite in bites:
        assert bite.duration_s >= MIN_S, "no tiny bites, tail included"
        if bite.duration_s > MAX_S:
            assert any(a <= bite.last_word and b >= bite.first_word for a, b in long_sentences)


@settings(max_examples=50, deadline=None)
@given(calls())
def test_cutting_is_deterministic(segments: list[Segment]) -> None:
    assert cut_bites(segments) == cut_bites(segments)


def test_five_minute_call_gives_two_or_three_bites_cut_at_sentence_ends() -> None:
    rnd = random.Random(5)
    segments = make_call([(rnd.randint(4, 20), rnd.choice(".?!")) for _ in range(46)])
    words = flatten_words(segments)
    assert 270 <= words[-1].end <= 330
    bites = cut_bites(segments)
    assert len(bites) in (2, 3)
    assert_partition(bites, len(words))
    for bite in bites[:-1]:
        assert ends_sentence(words[bite.last_word].text)
    assert all(MIN_S <= b.duration_s <= MAX_S for b in bites)


def test_without_sentence_ends_the_cut_lands_on_the_longest_pause_near_the_target() -> None:
    t, words = 0.0, []
    for i in range(600):
        words.append(Word(t, t + 0.3, " um", 0.9, None))
        t += 0.3 + (4.0 if i == 299 else 0.05)  # one long pause after word 299, about 105 s in
    bites = cut_bites([Segment(0, t, "", None, words)])
    assert [b.last_word for b in bites] == [299, 599]


def test_short_call_is_one_bite() -> None:
    segments = make_call([(5, "."), (6, "?"), (4, ".")])
    bites = cut_bites(segments)
    assert len(bites) == 1
    assert bites[0].first_word == 0 and bites[0].last_word == 14
    assert bites[0].speakers == ["rep", "buyer"]


def test_no_tiny_tail_after_the_last_full_bite() -> None:
    # About 170 s: one bite of 150 s would leave a 20 s tail, so the two are rebalanced.
    segments = make_call([(8, ".")] * 34)
    bites = cut_bites(segments)
    assert len(bites) == 2
    assert all(b.duration_s >= MIN_S for b in bites)


def test_one_sentence_longer_than_max_stays_whole_when_it_has_no_word_timings() -> None:
    segments = [
        Segment(0.0, 200.0, " A very long monologue transcribed without word timings.", "rep", []),
        *make_call([(10, ".")] * 20, start=201.0),
    ]
    bites = cut_bites(segments)
    assert bites[0].first_word == 0 and bites[0].end_s == 200.0
    assert bites[0].text == "A very long monologue transcribed without word timings."
    assert_partition(bites, len(flatten_words(segments)))


def test_zero_words_gives_no_bites() -> None:
    assert cut_bites([]) == []
    assert cut_bites([Segment(0, 1, "   ", None, [])]) == []


def test_title_skips_filler_and_is_trimmed_on_a_word_boundary() -> None:
    words, t = [], 0.0
    text = (
        "Yeah. Okay! So the real problem with your pricing is that procurement wants a three year deal "
        "with a cap on increases and we cannot sign that."
    )
    for token in text.split():
        words.append(Word(t, t + 0.3, f" {token}", 0.9, "buyer"))
        t += 0.4
    bite = cut_bites([Segment(0, t, text, "buyer", words)])[0]
    assert bite.title.startswith("So the real problem with your pricing")
    assert bite.title.endswith("…")
    assert len(bite.title) <= 80
    assert bite.title[:-1] in text and not bite.title[:-1].endswith(" ")
    assert bite.text == text


def test_words_are_ordered_by_time_across_segments() -> None:
    late = Segment(10, 11, "", "b", [Word(10, 11, " later.", 0.9, None)])
    early = Segment(0, 1, "", "a", [Word(0, 1, " first", 0.9, None)])
    assert [w.text for w in flatten_words([late, early])] == [" first", " later."]
    assert cut_bites([late, early])[0].speakers == ["a", "b"]


def test_numbers_keep_their_space_from_the_word_before() -> None:
    # As the transcript stores them: words without Whisper's leading space, a number's groups as pieces.
    pieces = ["We", "can", "meet", "Wednesday", "at", "10.", "It", "costs", "about", "25", ",000,", "or", "40,",
              "000", "at", "most."]
    words = [Word(i * 0.5, i * 0.5 + 0.4, text, 0.9, "rep") for i, text in enumerate(pieces)]
    bite = cut_bites([Segment(0, words[-1].end, "", "rep", words)])[0]
    assert bite.text == "We can meet Wednesday at 10. It costs about 25,000, or 40,000 at most."
    assert bite.title == "We can meet Wednesday at 10."


@st.composite
def overlapping_calls(draw: st.DrawFn) -> list[Segment]:
    """Random two-party calls whose parties talk over each other: each party's segments drawn on their own clock,
    so sentences of the two overlap anywhere, short backchannels among them; stored in a random order."""
    segments = []
    for speaker in ("rep", "buyer"):
        t = draw(st.floats(0, 20))
        for _ in range(draw(st.integers(0, 15))):
            words = []
            for _ in range(draw(st.integers(1, 20))):
                length = draw(st.floats(0.05, 1.2))
                mark = draw(st.sampled_from(["", "", "", ",", ".", "?", "!"]))
                words.append(Word(t, t + length, f" {VOCAB[len(words) % len(VOCAB)]}{mark}", 0.9, speaker))
                t += length + draw(st.sampled_from([0.0, 0.05, 0.1, 0.3, 0.8]))
            segments.append(Segment(words[0].start, words[-1].end, "", speaker, words))
            t += draw(st.sampled_from([0.0, 0.5, 2.0, 8.0, 30.0]))
    return draw(st.permutations(segments))


def one_speaker_texts(bite: BiteRange, words: list, speakers: list) -> list[str]:
    """The bite's text as each of its speakers said it: that speaker's words of the bite, joined."""
    chunk = list(zip(words[bite.first_word : bite.last_word + 1], speakers[bite.first_word : bite.last_word + 1],
                     strict=True))
    return [" ".join(w.text.strip() for w, who in chunk if who == speaker) for speaker in set(speakers)]


@settings(max_examples=200, deadline=None)
@given(overlapping_calls())
def test_talk_over_each_other_keeps_every_word_once_each_sentence_whole_and_bites_in_time(segments):
    words = flatten_words(segments)
    bites = cut_bites(segments, TARGET_S, MIN_S, MAX_S)
    if not words:
        assert bites == []
        return
    assert_partition(bites, len(words))  # every word in exactly one bite, bites one after the other in time
    speakers = [w.speaker for w in words]
    position = {id(w): i for i, w in enumerate(words)}
    for segment in segments:  # each sentence's words together, in its own order
        at = [position[id(w)] for w in segment.words]
        assert at == list(range(at[0], at[0] + len(at)))
    for bite in bites:
        chunk = words[bite.first_word : bite.last_word + 1]
        assert bite.start_s == min(w.start for w in chunk) and bite.end_s == max(w.end for w in chunk)
        title = bite.title.removesuffix("…")
        assert any(title in text for text in one_speaker_texts(bite, words, speakers)), "one person's sentence"
    for a, b in zip(bites, bites[1:], strict=False):  # no word of a bite said after a word of the next began
        assert max(w.end for w in words[a.first_word : a.last_word + 1]) <= min(
            w.start for w in words[b.first_word : b.last_word + 1])
    if words and max(w.end for w in words) - min(w.start for w in words) >= MIN_S:
        assert all(bite.duration_s >= MIN_S for bite in bites), "no tiny bites, tail included"


def test_two_people_talking_at_once_read_as_each_ones_sentence_in_text_and_title() -> None:
    # the words of ../shared/audio/stereo_diarization.wav about as the transcriber times them: both talk from the start
    def said(speaker, start, step, text):
        tokens = text.split()
        words = [Word(round(start + i * step, 2), round(start + (i + 1) * step, 2), t, 0.9, speaker)
                 for i, t in enumerate(tokens)]
        return Segment(words[0].start, words[-1].end, text, speaker, words)

    wizard = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
    horizon = "The horizon seems extremely distant."
    segments = [said("customer", 0.18, 0.44, horizon), said("rep", 0.09, 0.26, wizard)]
    bite = cut_bites(segments)[0]
    assert bite.text == f"{wizard} {horizon}"
    assert bite.title == "He began a confused complaint against the wizard, who had vanished behind the…"
    assert bite.speakers == ["rep", "customer"]
    assert (bite.start_s, bite.end_s) == (0.09, segments[1].end)


def test_a_title_never_runs_one_speakers_words_into_the_others() -> None:
    # the rep's sentence stops without a full stop (a pause split it); the customer's answer follows
    rep = Segment(0.0, 1.5, "", "rep", [Word(0.0, 0.5, "we", 0.9, "rep"), Word(0.5, 1.0, "could", 0.9, "rep"),
                                         Word(1.0, 1.5, "start", 0.9, "rep")])
    customer = Segment(2.0, 3.5, "", "customer", [Word(2.0, 2.5, "Not", 0.9, "customer"),
                                                  Word(2.5, 3.0, "this", 0.9, "customer"),
                                                  Word(3.0, 3.5, "quarter.", 0.9, "customer")])
    assert cut_bites([rep, customer])[0].title == "we could start"
