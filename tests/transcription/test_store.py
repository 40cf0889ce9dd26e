import json

import pytest

from enable.transcription import Segment, Transcript, TranscriptStore, Word, conversation_stats
from enable.transcription.store import TranscriptUnreadable

from .webvtt_check import parse_webvtt


def sample_transcript(text="Honestly this is too expensive for us.", speaker="customer"):
    words = [Word(60.5 + i * 0.5, 61.0 + i * 0.5, part, 0.87, speaker) for i, part in enumerate(text.split())]
    segments = [Segment(words[0].start, words[-1].end, text, speaker, words)]
    return Transcript("en", 325.2, "tiny.en", 2, ["rep", "customer"], segments, conversation_stats(segments))


def test_write_then_read_gives_an_equal_transcript(tmp_path):
    store = TranscriptStore(tmp_path / "transcripts")
    transcript = sample_transcript()
    store.write(7, transcript)
    assert store.read(7) == transcript
    assert store.exists(7)
    assert not store.exists(8)


def test_files_are_named_for_the_call_and_leave_no_temporary_files(tmp_path):
    store = TranscriptStore(tmp_path)
    store.write(7, sample_transcript())
    store.write(7, sample_transcript("Price is fine now."))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["7.json", "7.vtt"]
    assert json.loads((tmp_path / "7.json").read_text(encoding="utf-8"))["segments"][0]["text"] == "Price is fine now."


def test_the_captions_file_is_valid_webvtt_with_voices(tmp_path):
    store = TranscriptStore(tmp_path)
    store.write(3, sample_transcript())
    cues = parse_webvtt(store.vtt_path(3).read_text(encoding="utf-8"))
    assert cues[0].start == 60.5
    assert cues[0].lines[0].startswith("<v customer>Honestly")


def test_a_failed_write_keeps_the_previous_transcript_whole(tmp_path):
    store = TranscriptStore(tmp_path)
    good = sample_transcript()
    store.write(5, good)
    broken = sample_transcript("Something else.")
    broken.stats = {"not json": {1, 2}}  # a set cannot be serialised: the write fails
    with pytest.raises(TypeError):
        store.write(5, broken)
    assert store.read(5) == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["5.json", "5.vtt"]


def test_non_ascii_text_is_stored_as_text(tmp_path):
    store = TranscriptStore(tmp_path)
    transcript = sample_transcript("Это слишком дорого для нас.")
    store.write(1, transcript)
    assert "дорого" in store.json_path(1).read_text(encoding="utf-8")
    assert store.read(1) == transcript


def test_ids_lists_stored_calls_and_delete_removes_both_files(tmp_path):
    store = TranscriptStore(tmp_path)
    assert store.ids() == []
    for call_id in (12, 3, 40):
        store.write(call_id, sample_transcript())
    assert store.ids() == [3, 12, 40]
    assert store.delete(12) is True
    assert store.delete(12) is False
    assert store.ids() == [3, 40]
    assert not store.vtt_path(12).exists()


def test_reading_a_missing_transcript_names_the_call(tmp_path):
    with pytest.raises(FileNotFoundError, match="call 9"):
        TranscriptStore(tmp_path).read(9)


@pytest.mark.parametrize("bad_id", [-1, "7", "../7", 1.5, True])
def test_call_ids_must_be_plain_integers(tmp_path, bad_id):
    with pytest.raises(ValueError, match="call id"):
        TranscriptStore(tmp_path).write(bad_id, sample_transcript())


@pytest.mark.parametrize("damage, reason", [
    (lambda text: text[: len(text) // 2], "not valid JSON at line 1, column"),  # cut short: a write that never finished
    (lambda text: "[1, 2, 3]", "it does not hold a transcript"),  # JSON, but not a transcript
    (lambda text: json.dumps({"segments": []}), "the field 'language' is missing"),
    (lambda text: json.dumps({**json.loads(text), "schema": 99}), "newer than this version of Enable reads"),
])
def test_a_damaged_file_is_reported_as_unreadable_with_its_call_and_reason(tmp_path, damage, reason):
    store = TranscriptStore(tmp_path)
    store.write(7, sample_transcript())
    path = store.json_path(7)
    path.write_text(damage(path.read_text(encoding="utf-8")), encoding="utf-8")

    with pytest.raises(TranscriptUnreadable) as caught:
        store.read(7)
    assert caught.value.call_id == 7
    assert reason in caught.value.reason
    assert str(caught.value).startswith("The transcript file of call 7 cannot be read: ")


def test_a_file_of_bytes_that_are_not_utf8_is_unreadable(tmp_path):
    store = TranscriptStore(tmp_path)
    store.write(7, sample_transcript())
    store.json_path(7).write_bytes(b"\xff\xfe" + bytes(range(128, 256)))
    with pytest.raises(TranscriptUnreadable, match="call 7"):
        store.read(7)
