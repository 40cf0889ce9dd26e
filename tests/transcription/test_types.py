import json

import pytest

from enable.transcription import Segment, Transcript, Word, conversation_stats
from enable.transcription.segments import mark_overlaps
from enable.transcription.stats import count_questions


def seg(start, end, text, speaker=None):
    """A segment whose words are spread evenly over its time."""
    parts = text.split()
    step = (end - start) / len(parts)
    words = [
        Word(round(start + i * step, 3), round(start + (i + 1) * step, 3), part, 0.9, speaker)
        for i, part in enumerate(parts)
    ]
    return Segment(start, end, text, speaker, words)


def two_party_transcript():
    segments = [
        seg(0.5, 4.0, "Hi Dana, how is your week going?", "rep"),
        seg(4.4, 6.0, "Busy, but good.", "customer"),
        seg(6.5, 9.0, "How many sellers do you have?", "rep"),
        seg(9.2, 10.0, "Forty.", "customer"),
        seg(10.5, 14.0, "Here is the home screen.", "rep"),
        seg(14.5, 20.0, "Every call is cut into clips. Each clip is tagged.", "rep"),
        seg(20.3, 21.0, "Nice?", "customer"),
    ]
    return Transcript(
        language="en",
        duration_s=21.5,
        model="tiny.en",
        channels=2,
        speakers=["rep", "customer"],
        segments=segments,
        stats=conversation_stats(segments),
    )


def test_transcript_survives_a_json_round_trip_exactly():
    transcript = two_party_transcript()
    text = json.dumps(transcript.to_dict())
    assert Transcript.from_dict(json.loads(text)) == transcript


def test_words_come_in_speaking_order_each_sentence_whole():
    transcript = two_party_transcript()
    overlapping = seg(3.0, 5.0, "Mm hmm", "customer")
    transcript.segments.append(overlapping)  # stored last, said while the rep's first sentence runs
    texts = [word.text for word in transcript.words()]
    assert " ".join(texts).startswith("Hi Dana, how is your week going? Mm hmm Busy, but good.")
    assert len(texts) == sum(len(s.words) for s in transcript.segments)


def test_without_overlapping_talk_speaking_order_is_time_order():
    starts = [word.start for word in two_party_transcript().words()]
    assert starts == sorted(starts)


def test_an_overlap_mark_survives_the_round_trip_and_old_transcripts_read_without_it():
    transcript = two_party_transcript()
    transcript.segments[1].overlap = True
    assert Transcript.from_dict(json.loads(json.dumps(transcript.to_dict()))) == transcript
    old = two_party_transcript().to_dict()
    for segment in old["segments"]:
        del segment["overlap"]  # as written before overlaps were marked
    assert Transcript.from_dict(old) == two_party_transcript()
    assert not any(segment.overlap for segment in Transcript.from_dict(old).segments)


def test_a_newer_transcript_layout_is_refused_with_advice():
    data = two_party_transcript().to_dict()
    data["schema"] = 99
    with pytest.raises(ValueError, match="upgrade Enable"):
        Transcript.from_dict(data)


def test_talk_ratio_is_each_speakers_share_of_speaking_time():
    stats = two_party_transcript().stats
    rep_s = 3.5 + 2.5 + 3.5 + 5.5
    customer_s = 1.6 + 0.8 + 0.7
    assert stats["talk_s"] == {"rep": pytest.approx(rep_s), "customer": pytest.approx(customer_s)}
    assert stats["talk_ratio"]["rep"] == pytest.approx(rep_s / (rep_s + customer_s), abs=0.001)
    assert sum(stats["talk_ratio"].values()) == pytest.approx(1.0, abs=0.002)


def test_longest_monologue_joins_consecutive_segments_of_one_speaker():
    stats = two_party_transcript().stats
    assert stats["longest_monologue"] == {"speaker": "rep", "seconds": pytest.approx(9.5)}


def test_a_long_pause_ends_a_monologue():
    segments = [seg(0, 5, "One two three.", "rep"), seg(12, 16, "Four five.", "rep")]
    assert conversation_stats(segments)["longest_monologue"] == {"speaker": "rep", "seconds": 5.0}


def test_questions_are_counted_per_speaker():
    assert two_party_transcript().stats["questions"] == {"rep": 2, "customer": 1}


@pytest.mark.parametrize(
    ("text", "questions"),
    [("Why? Really?? Yes.", 2), ("No questions here.", 0), ("چرا؟", 1), ("Is it 5? It is!", 1)],
)
def test_count_questions(text, questions):
    assert count_questions(text) == questions


def test_mono_recording_has_no_per_speaker_figures():
    stats = conversation_stats([seg(0, 3, "Ask not what your country can do for you?")])
    assert stats == {"talk_s": {}, "talk_ratio": {}, "questions": {}, "longest_monologue": None, "monologue_s": {},
                     "interruptions": {}, "patience_s": {}}


def test_a_backchannel_between_two_sentences_neither_ends_a_monologue_nor_takes_the_floor():
    segments = [
        seg(0.0, 3.0, "That is the price.", "rep"),
        seg(2.9, 3.3, "Mm-hm.", "customer"),
        seg(3.2, 9.0, "It includes support and training for every seller.", "rep"),
        seg(9.6, 11.0, "What about onboarding?", "customer"),
    ]
    stats = conversation_stats(mark_overlaps(segments))
    assert [s.overlap for s in segments] == [False, True, False, False]
    assert stats["longest_monologue"] == {"speaker": "rep", "seconds": 9.0}
    assert stats["monologue_s"] == {"rep": 9.0, "customer": 1.4}
    assert stats["interruptions"] == {"rep": 0, "customer": 0}
    assert stats["patience_s"] == {"customer": 0.6}  # waited for the rep's whole turn, not the first sentence
