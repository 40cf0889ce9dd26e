"""Russian speech: a clip spoken by Festival's Russian voice is transcribed by the multilingual model, which
detects the language and hears the key words of a price objection."""

from __future__ import annotations

import shutil
import sys

import pytest

from enable.transcription import Transcriber
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "scripts"))
from synth_dialogue import RUSSIAN_VOICES, synthesize_clip  # noqa: E402

TEXT = "Я показала ваше предложение финансовому директору. Честно скажу, для нас это слишком дорого."


@pytest.fixture(scope="module")
def multilingual(tmp_path_factory) -> Transcriber:
    return Transcriber("base", cache_dir=tmp_path_factory.mktemp("models"))


@pytest.mark.slow
@pytest.mark.audio
@pytest.mark.skipif(shutil.which("text2wave") is None or shutil.which("sox") is None,
                    reason="needs Festival with its Russian voice (apt-get install festival festvox-ru) and sox")
def test_the_multilingual_model_hears_a_russian_price_objection(tmp_path, multilingual):
    clip = tmp_path / "ru.ogg"
    # the customer's voice: Festival's voice shifted by sox, the less natural of the two
    seconds = synthesize_clip(TEXT, clip, voice=RUSSIAN_VOICES["customer"], speed_wpm=140)
    assert 4 < seconds < 12
    transcript = multilingual.transcribe(clip)
    assert transcript.language == "ru" and transcript.model == "base"
    text = transcript.text.casefold()
    assert "слишком дорого" in text and "финансов" in text and "директор" in text
    words = list(transcript.words())
    assert all(a.start <= b.start for a, b in zip(words, words[1:], strict=False))
    assert words[0].start >= 0 and words[-1].end <= seconds + 0.1
