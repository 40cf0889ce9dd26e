"""The longest recording allowed is enforced on the decoded samples, not on what the file's header says."""

from __future__ import annotations

import pytest

from enable.transcription.audio import SAMPLE_RATE, decode, decode_blocks, decode_stereo, probe
from enable.transcription.errors import RecordingTooLong
from tests.transcription.crafted import mp3_with_lying_header, webm_without_duration


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crafted")
    return {"no duration": webm_without_duration(folder / "stream.webm", 20),
            "lying header": mp3_with_lying_header(folder / "short.mp3", 20)}


@pytest.mark.parametrize("kind", ["no duration", "lying header"])
def test_the_header_says_less_than_the_file_holds(crafted, kind):
    """The premise: the upload check, which reads the header, sees at most half a second."""
    assert probe(crafted[kind]).duration_s < 1.0
    decoded = sum(block.duration_s for block in decode_blocks(crafted[kind], 600, stereo=False))
    assert decoded == pytest.approx(20.0, abs=0.1)


@pytest.mark.parametrize("kind", ["no duration", "lying header"])
def test_decoding_stops_once_the_limit_is_passed(crafted, kind):
    with pytest.raises(RecordingTooLong) as caught:
        list(decode_blocks(crafted[kind], 600, stereo=False, max_s=3.0))
    assert caught.value.limit_s == 3.0
    assert "longer than the 0.05 minutes" in str(caught.value)
    with pytest.raises(RecordingTooLong):
        decode(crafted[kind], max_s=3.0)
    with pytest.raises(RecordingTooLong):
        decode_stereo(crafted[kind], max_s=3.0)


def test_a_recording_within_the_limit_decodes_whole_and_reports_its_progress(crafted):
    seen: list[float] = []
    blocks = list(decode_blocks(crafted["no duration"], 600, stereo=False, max_s=21.0, on_decoded=seen.append))
    assert sum(b.duration_s for b in blocks) == pytest.approx(20.0, abs=0.1)
    assert seen and seen == sorted(seen) and seen[-1] <= 20.1
    whole = decode(crafted["no duration"], max_s=21.0)
    assert len(whole) == sum(b.samples.shape[1] for b in blocks)
    assert len(whole) == pytest.approx(len(decode(crafted["no duration"])), abs=SAMPLE_RATE // 100)
