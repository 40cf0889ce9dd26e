import difflib
import re
import wave

import numpy as np
import pytest

from enable.transcription import CUSTOMER, REP, Transcriber, UnsupportedLanguage, UnsupportedMedia

from .conftest import DATA_AUDIO

pytestmark = pytest.mark.slow


def normalised(text):
    """Lowercase words without punctuation, as a person comparing transcripts reads them."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def word_error_rate(reference, heard):
    """Word-level edit distance over the reference's length, as speech recognition is scored."""
    row = list(range(len(heard) + 1))
    for i, expected in enumerate(reference, 1):
        previous, row[0] = row[:], i
        for j, word in enumerate(heard, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (expected != word))
    return row[-1] / len(reference)


def segments_with(transcript, word):
    return [s for s in transcript.segments if word in normalised(s.text).split()]


@pytest.fixture(scope="module")
def dialogue(transcriber):
    """The synthesized sales call, transcribed once with the product and competitor names as hotwords."""
    progress = []
    transcript = transcriber.transcribe(
        DATA_AUDIO / "sales_dialogue.ogg", hotwords=["Clearview", "Gong", "Northwind"], progress=progress.append
    )
    return transcript, progress


@pytest.mark.audio
def test_jfk_is_transcribed_as_one_voice_with_timed_words(transcriber, shared_audio):
    transcript = transcriber.transcribe(shared_audio / "jfk.flac")
    assert "ask not what your country can do for you" in normalised(transcript.text)
    assert transcript.language == "en"
    assert transcript.channels == 1 and transcript.speakers == []  # two identical channels are one voice
    assert all(segment.speaker is None for segment in transcript.segments)
    words = list(transcript.words())
    assert len(words) >= 20
    assert all(0.0 <= w.start <= w.end <= transcript.duration_s for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    assert words[-1].start > words[0].start + 5  # spread over the speech, not bunched at one moment
    assert transcript.duration_s == pytest.approx(11.0, abs=0.1)


@pytest.mark.audio
def test_each_channel_of_a_two_party_recording_is_a_speaker(transcriber, shared_audio):
    transcript = transcriber.transcribe(shared_audio / "stereo_diarization.wav")
    assert transcript.channels == 2
    assert transcript.speakers == [REP, CUSTOMER]
    rep_text = normalised(" ".join(s.text for s in transcript.segments if s.speaker == REP))
    customer_text = normalised(" ".join(s.text for s in transcript.segments if s.speaker == CUSTOMER))
    assert "complaint against the wizard" in rep_text  # the left channel's sentence
    assert "horizon" in customer_text and "horizon" not in rep_text
    assert all(w.speaker == s.speaker for s in transcript.segments for w in s.words)


@pytest.mark.audio
def test_the_rep_can_be_on_the_right_channel(transcriber, shared_audio):
    transcript = transcriber.transcribe(shared_audio / "stereo_diarization.wav", rep_channel=1)
    assert all(s.speaker == REP for s in segments_with(transcript, "horizon"))
    assert all(s.speaker == CUSTOMER for s in segments_with(transcript, "wizard"))


@pytest.mark.audio
def test_hotwords_spell_a_product_name_right(transcriber, shared_audio):
    plain = transcriber.transcribe(shared_audio / "hotwords.mp3")
    assert "comfyui" not in plain.text.lower()  # the small model hears "comfy eye"
    helped = transcriber.transcribe(shared_audio / "hotwords.mp3", hotwords=["ComfyUI"])
    assert "ComfyUI" in helped.text
    assert "ComfyUI" in [word.text.strip(".,") for word in helped.words()]


def test_a_competitor_name_is_heard_only_with_its_hotword(transcriber, dialogue_channels, dialogue_script, tmp_path):
    line = next(line for line in dialogue_script["lines"] if line["label"] == "objection:competitor")
    _, customer = dialogue_channels
    clip = tmp_path / "competitor.wav"
    samples = customer[int((line["start"] - 1) * 16000) : int((line["end"] + 1) * 16000)]
    with wave.open(str(clip), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())

    without = transcriber.transcribe(clip)
    assert "gong" not in normalised(without.text).split()  # tiny.en hears "long"
    helped = transcriber.transcribe(clip, hotwords=["Clearview", "Gong", "Northwind"])
    assert "Gong" in helped.text


def test_the_synthesized_call_has_rep_and_customer(dialogue, dialogue_script):
    transcript, _ = dialogue
    assert transcript.speakers == [REP, CUSTOMER]
    assert transcript.duration_s == pytest.approx(dialogue_script["duration_s"], abs=0.5)
    assert {s.speaker for s in transcript.segments} == {REP, CUSTOMER}
    starts = [s.start for s in transcript.segments]
    assert starts == sorted(starts)


@pytest.mark.parametrize(
    ("label", "words"),
    [("objection:price", ["expensive", "budget"]), ("objection:competitor", ["gong"])],
)
def test_objections_are_heard_from_the_customer_when_they_were_said(dialogue, dialogue_script, label, words):
    transcript, _ = dialogue
    line = next(line for line in dialogue_script["lines"] if line["label"] == label)
    for word in words:
        found = segments_with(transcript, word)
        assert found, f"{word!r} not transcribed"
        # the script says it only once, in the customer's objection
        assert all(s.speaker == CUSTOMER for s in found)
        assert all(abs(s.start - line["start"]) < 3.0 for s in found)


def test_call_figures_show_a_rep_who_talks_more(dialogue, dialogue_script):
    transcript, _ = dialogue
    stats = transcript.stats
    scripted = {
        speaker: sum(line["end"] - line["start"] for line in dialogue_script["lines"] if line["speaker"] == speaker)
        for speaker in (REP, CUSTOMER)
    }
    assert stats["talk_ratio"][REP] == pytest.approx(scripted[REP] / sum(scripted.values()), abs=0.05)
    assert stats["longest_monologue"]["speaker"] == REP
    assert stats["questions"][REP] >= 5 and stats["questions"][CUSTOMER] >= 5


def test_progress_climbs_to_one_as_segments_arrive(dialogue):
    _, progress = dialogue
    assert len(progress) > 5
    assert all(0.0 <= p <= 1.0 for p in progress)
    assert progress == sorted(progress)
    assert progress[-1] == 1.0


def test_silence_gives_an_empty_transcript(transcriber):
    transcript = transcriber.transcribe(DATA_AUDIO / "silence.ogg")
    assert transcript.segments == []
    assert transcript.duration_s == pytest.approx(3.0, abs=0.1)
    assert transcript.language == "en"


def test_a_short_english_clip(transcriber):
    transcript = transcriber.transcribe(DATA_AUDIO / "short_en.ogg", language="en")
    assert "too expensive" in normalised(transcript.text)
    assert transcript.speakers == []


def test_a_text_file_named_mp3_is_refused_before_the_model_runs(transcriber, tmp_path):
    fake = tmp_path / "call.mp3"
    fake.write_text("not a recording", encoding="utf-8")
    with pytest.raises(UnsupportedMedia, match="not audio or video we can read"):
        transcriber.transcribe(fake)


def test_an_english_only_model_refuses_another_language_with_advice(transcriber):
    with pytest.raises(UnsupportedLanguage, match="WHISPER_MODEL=base"):
        transcriber.transcribe(DATA_AUDIO / "short_en.ogg", language="ru")


def test_a_long_call_is_transcribed_block_by_block_with_nothing_lost_or_doubled(dialogue, dialogue_script):
    """Blocks bound a worker's memory on long calls; here blocks of a minute stand in for the 10-minute ones."""
    whole, _ = dialogue
    progress = []
    in_blocks = Transcriber(cache_dir=None, block_s=60).transcribe(
        DATA_AUDIO / "sales_dialogue.ogg", hotwords=["Clearview", "Gong", "Northwind"], progress=progress.append
    )
    assert in_blocks.duration_s == whole.duration_s
    assert in_blocks.speakers == [REP, CUSTOMER] and in_blocks.channels == 2
    words = list(in_blocks.words())
    # in time order, none overlapping the next (no word heard twice at a block's edge), all within the call
    assert all(a.start <= b.start and a.end <= b.start + 0.5 for a, b in zip(words, words[1:], strict=False))
    assert words[0].start >= 0.0 and words[-1].end <= in_blocks.duration_s
    # the same call heard in other windows: nearly the same words (tiny.en varies with its context), and as
    # close to what the script says as the call heard whole
    same = difflib.SequenceMatcher(a=normalised(whole.text).split(), b=normalised(in_blocks.text).split(),
                                   autojunk=False).ratio()
    assert same >= 0.9
    script = normalised(" ".join(line["text"] for line in dialogue_script["lines"])).split()
    assert word_error_rate(script, normalised(in_blocks.text).split()) <= (
        word_error_rate(script, normalised(whole.text).split()) + 0.02)
    assert len(words) == pytest.approx(len(list(whole.words())), rel=0.05)
    # who said what does not change: the price objection is the customer's, at its moment
    line = next(line for line in dialogue_script["lines"] if line["label"] == "objection:price")
    found = segments_with(in_blocks, "expensive")
    assert found and all(s.speaker == CUSTOMER and abs(s.start - line["start"]) < 3.0 for s in found)
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert len(progress) > 5


def _stereo_wav(path, left, right):
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        both = np.stack([left, right], axis=1)
        wav.writeframes((np.clip(both, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_a_customer_silent_through_the_first_block_is_still_a_party(transcriber, dialogue_channels, tmp_path):
    """A long call where the customer says nothing at first (a demo, a mute button): the first block cannot tell
    two parties from one voice, the later ones can, and the rep's words at the start stay the rep's."""
    left, right = (channel[: 150 * 16000].copy() for channel in dialogue_channels)
    right[: 60 * 16000] = 0.0
    path = _stereo_wav(tmp_path / "muted_at_first.wav", left, right)
    transcript = Transcriber(cache_dir=None, block_s=60).transcribe(path)
    assert transcript.speakers == [REP, CUSTOMER] and transcript.channels == 2
    early = [w for w in transcript.words() if w.end < 58]
    assert len(early) > 20 and all(w.speaker == REP for w in early)
    assert any(w.speaker == CUSTOMER for w in transcript.words() if w.start > 62)


def test_one_voice_on_one_channel_of_a_long_call_has_no_parties(transcriber, dialogue_channels, tmp_path):
    left = dialogue_channels[0][: 130 * 16000]
    path = _stereo_wav(tmp_path / "one_side.wav", left, np.zeros_like(left))
    transcript = Transcriber(cache_dir=None, block_s=60).transcribe(path)
    assert transcript.speakers == [] and transcript.channels == 1
    assert len(list(transcript.words())) > 40
    assert all(s.speaker is None and all(w.speaker is None for w in s.words) for s in transcript.segments)
