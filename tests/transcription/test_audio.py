import wave
from fractions import Fraction

import av
import numpy as np
import pytest

from enable.transcription import UnsupportedMedia, channels_differ, decode, decode_stereo, probe
from enable.transcription.audio import SAMPLE_RATE, decode_blocks

from .conftest import DATA_AUDIO

READABLE_REASON = "This file is not audio or video we can read: "


def write_media(path, seconds=1.0, audio=True, video=False):
    """Write a small real media file with PyAV: a 440 Hz tone and/or a grey picture."""
    with av.open(str(path), "w") as container:
        streams = []
        if video:
            picture = container.add_stream("mpeg4", rate=10)
            picture.width, picture.height, picture.pix_fmt = 64, 48, "yuv420p"
            streams.append(picture)
        if audio:
            sound = container.add_stream("aac", rate=16000)
            sound.layout = "mono"
        if video:
            for i in range(int(seconds * 10)):
                frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 128, np.uint8), format="rgb24")
                frame.pts = i
                container.mux(picture.encode(frame))
            container.mux(picture.encode())
        if audio:
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(16000 * seconds)) / 16000)).astype(np.float32)
            for i in range(0, len(tone), 1024):
                frame = av.AudioFrame.from_ndarray(tone[None, i : i + 1024], format="fltp", layout="mono")
                frame.sample_rate, frame.pts, frame.time_base = 16000, i, Fraction(1, 16000)
                container.mux(sound.encode(frame))
            container.mux(sound.encode())


def test_probe_describes_the_synthesized_call():
    info = probe(DATA_AUDIO / "sales_dialogue.ogg")
    assert info.channels == 2
    assert info.codec == "opus"
    assert not info.has_video
    assert 300 <= info.duration_s <= 360


def test_probe_describes_a_video_with_sound(tmp_path):
    path = tmp_path / "meeting.mp4"
    write_media(path, seconds=2.0, video=True)
    info = probe(path)
    assert info.has_video
    assert info.channels == 1
    assert info.sample_rate == 16000
    assert info.duration_s == pytest.approx(2.0, abs=0.2)


def test_a_video_without_sound_is_refused(tmp_path):
    path = tmp_path / "silent_film.mp4"
    write_media(path, audio=False, video=True)
    with pytest.raises(UnsupportedMedia, match="no sound track"):
        probe(path)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("notes.mp3", b"These are my meeting notes, not a recording.\n" * 20, "invalid data"),
        ("empty.wav", b"", "the file is empty"),
        ("corrupt.ogg", bytes(range(256)) * 64, ""),
        ("truncated.flac", b"fLaC\x00\x00\x00\x22" + b"\x00" * 40, ""),
    ],
)
def test_files_that_are_not_media_are_refused_with_a_readable_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnsupportedMedia) as caught:
        probe(path)
    message = str(caught.value)
    assert message.startswith(READABLE_REASON)
    assert reason in message
    assert "upload mp3, wav" in message
    with pytest.raises(UnsupportedMedia):
        decode(path)


def test_a_missing_file_is_not_mistaken_for_bad_media(tmp_path):
    with pytest.raises(FileNotFoundError):
        probe(tmp_path / "nowhere.mp3")


def test_decode_gives_16khz_float_samples_of_the_right_length():
    samples = decode(DATA_AUDIO / "short_en.ogg")
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    assert len(samples) / 16000 == pytest.approx(probe(DATA_AUDIO / "short_en.ogg").duration_s, abs=0.05)
    assert 0.01 < np.abs(samples).max() <= 1.0


def test_decode_one_channel_of_the_call_gives_only_that_party(dialogue_script, dialogue_channels):
    left, right = dialogue_channels
    price = next(line for line in dialogue_script["lines"] if line["label"] == "objection:price")
    during = slice(int(price["start"] * 16000), int(price["end"] * 16000))
    # the customer speaks on the right; the rep's channel holds only the faint line noise
    assert np.sqrt(np.mean(right[during] ** 2)) > 30 * np.sqrt(np.mean(left[during] ** 2))


def test_decode_picks_the_asked_channel(tmp_path):
    path = tmp_path / "left_only.wav"
    tone = (0.5 * np.sin(2 * np.pi * 300 * np.arange(8000) / 8000) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.column_stack([tone, np.zeros_like(tone)]).tobytes())
    left, right = decode(path, channel=0), decode(path, channel=1)
    assert len(left) == len(right) == 16000
    assert np.abs(left).max() > 0.4
    assert np.abs(right).max() < 0.01
    assert np.abs(decode(path)).max() == pytest.approx(0.25, abs=0.03)  # the mono mix halves it


def test_the_two_parties_of_the_synthesized_call_are_told_apart(dialogue_channels):
    assert channels_differ(*dialogue_channels)


def test_one_voice_on_both_channels_is_not_two_parties():
    mono = decode(DATA_AUDIO / "short_en.ogg")
    noise = np.random.default_rng(0).normal(0, 1e-3, (2, len(mono))).astype(np.float32)
    assert not channels_differ(mono, mono.copy())
    assert not channels_differ(mono + noise[0], mono + noise[1])
    # a second microphone: a little later, quieter and noisier
    assert not channels_differ(mono + noise[0], np.roll(mono, 16) * 0.5 + 3 * noise[1])


def test_speech_on_one_side_only_is_not_two_parties():
    mono = decode(DATA_AUDIO / "short_en.ogg")
    line_noise = np.random.default_rng(1).normal(0, 1e-3, len(mono)).astype(np.float32)
    assert not channels_differ(mono, line_noise)
    assert not channels_differ(np.zeros(16000, np.float32), np.zeros(16000, np.float32))


@pytest.mark.audio
def test_jfk_recording_is_mono_copied_to_two_channels(shared_audio):
    assert probe(shared_audio / "jfk.flac").channels == 2
    assert not channels_differ(*decode_stereo(shared_audio / "jfk.flac"))


@pytest.mark.audio
def test_stereo_diarization_recording_has_one_speaker_per_channel(shared_audio):
    assert channels_differ(*decode_stereo(shared_audio / "stereo_diarization.wav"))


# Long recordings are decoded block by block ---------------------------------------------------------------------


def test_blocks_hold_every_sample_of_the_call_once_in_order(dialogue_channels):
    left, right = dialogue_channels
    blocks = list(decode_blocks(DATA_AUDIO / "sales_dialogue.ogg", block_s=60, stereo=True))
    assert len(blocks) >= 5  # 351 s in blocks of about a minute
    joined = np.concatenate([block.samples for block in blocks], axis=1)
    np.testing.assert_array_equal(joined[0], left)
    np.testing.assert_array_equal(joined[1], right)
    starts = [block.start_s for block in blocks]
    assert starts[0] == 0.0
    for before, after in zip(blocks, blocks[1:], strict=False):
        assert after.start_s == pytest.approx(before.start_s + before.duration_s)
    # each block but the last ends within the last 15 s before its length, where the call is quietest
    for block in blocks[:-1]:
        assert 45.0 <= block.duration_s <= 60.0
        end = int(block.duration_s * SAMPLE_RATE)
        tail = block.samples[:, end - 800 :]  # the 50 ms before the cut
        assert float(np.abs(tail).max()) < 0.05, "a block was cut while someone was speaking"


def test_a_recording_shorter_than_a_block_is_one_block_like_decode():
    blocks = list(decode_blocks(DATA_AUDIO / "short_en.ogg", block_s=1200, stereo=False))
    assert len(blocks) == 1
    np.testing.assert_array_equal(blocks[0].samples[0], decode(DATA_AUDIO / "short_en.ogg"))


def test_blocks_of_a_non_media_file_are_refused_with_a_reason(tmp_path):
    fake = tmp_path / "notes.mp3"
    fake.write_text("not a recording, just notes\n" * 50)
    with pytest.raises(UnsupportedMedia, match="not audio or video we can read"):
        list(decode_blocks(fake, block_s=60, stereo=False))


def test_blocks_of_an_8khz_phone_recording_match_decoding_it_whole(tmp_path, dialogue_channels):
    """Telephone audio (8 kHz): resampled groups are larger than at 48 kHz and cross block ends."""
    left, right = (channel[: 95 * 16000 : 2] for channel in dialogue_channels)  # 95 s at 8 kHz
    path = tmp_path / "phone.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes((np.clip(np.stack([left, right], axis=1), -1, 1) * 32767).astype("<i2").tobytes())
    blocks = list(decode_blocks(path, block_s=30, stereo=True))
    assert len(blocks) >= 3
    whole_left, whole_right = decode_stereo(path)
    joined = np.concatenate([block.samples for block in blocks], axis=1)
    np.testing.assert_array_equal(joined[0], whole_left)
    np.testing.assert_array_equal(joined[1], whole_right)
