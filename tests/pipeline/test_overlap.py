"""Two people talking at once, through the whole pipeline with the real speech model: each keeps their sentences.

The real recording ../shared/audio/stereo_diarization.wav has one speaker a channel, both talking from the start;
tests/data/audio/overlap_call.ogg (scripts/synth_overlap.py) has two espeak-ng voices, a "Yeah." of the customer
inside the rep's first sentence and the rep starting his second sentence over the customer's.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from enable.auth.models import Role
from enable.bites.page import read_bite_words
from enable.calls import services as calls
from enable.calls.models import CallStatus
from tests.calls.helpers import AUDIO, call_of, ingest_recording

pytestmark = pytest.mark.slow

WIZARD = "he began a confused complaint against the wizard who had vanished behind the curtain on the left"
HORIZON = "the horizon seems extremely distant"
OVERLAP_CALL = AUDIO / "overlap_call.ogg"
SCRIPT = json.loads(OVERLAP_CALL.with_suffix(".json").read_text(encoding="utf-8"))["lines"]


def normalised(text: str) -> str:
    """Lowercase words without punctuation, as a person comparing sentences reads them."""
    return " ".join(re.sub(r"[^\w\s']", " ", text.lower()).split())


def _page_turns(page: str) -> list[str]:
    """The transcript's paragraphs as the call page shows them, tags dropped."""
    transcript = page.split('class="call-transcript"', 1)[1].split("</div>", 1)[0]
    return [normalised(html.unescape(re.sub(r"<[^>]+>", " ", p))) for p in re.findall(r"<p.*?</p>", transcript,
                                                                                     re.S)]


@pytest.mark.audio
def test_two_people_talking_at_once_keep_their_sentences_in_turns_bite_text_and_title(app, login, shared_audio):
    call_id = ingest_recording(app, shared_audio / "stereo_diarization.wav")
    with app.app_context():
        call = call_of(call_id)
        assert call.status == CallStatus.READY, call.error
        turns = calls.transcript_turns(calls.read_transcript(call_id))
        assert [(t.speaker, normalised(t.text)) for t in turns] == [("rep", WIZARD), ("customer", HORIZON)]
        assert turns[0].start_s < turns[1].start_s < turns[0].end_s  # said at the same time
        (bite,) = call.bites
        assert normalised(bite.text) == f"{WIZARD} {HORIZON}"  # not "he the began horizon a seems ..."
        assert normalised(bite.title.removesuffix("…")) in WIZARD and len(normalised(bite.title).split()) >= 10
        assert normalised(" ".join(w.text for w in read_bite_words(bite))) == f"{WIZARD} {HORIZON}"
    page = login(Role.ADMIN).get(f"/calls/{call_id}").get_data(as_text=True)
    assert _page_turns(page) == [f"0 00 rep {WIZARD}", f"0 00 customer {HORIZON}"]


def test_a_backchannel_inside_a_sentence_is_kept_marked_and_does_not_split_it(app, login):
    call_id = ingest_recording(app, OVERLAP_CALL)
    with app.app_context():
        call = call_of(call_id)
        assert call.status == CallStatus.READY, call.error
        transcript = calls.read_transcript(call_id)
        turns = calls.transcript_turns(transcript)
        assert [(t.speaker, t.overlap) for t in turns] == [
            ("rep", False), ("customer", True), ("customer", False), ("rep", False), ("customer", False),
        ]
        assert [t.start_s for t in turns] == sorted(t.start_s for t in turns)
        first, yeah = turns[0], turns[1]
        assert normalised(first.text) == normalised(SCRIPT[0]["text"])  # the rep's sentence whole, "yeah" apart
        assert normalised(yeah.text) == "yeah" and first.start_s < yeah.start_s < yeah.end_s < first.end_s
        # the two sentences said over each other each read whole (tiny.en mishears a word or two of the synthesis)
        assert normalised(turns[2].text).startswith("the problem is that the price")
        assert normalised(turns[3].text).startswith("let me show you how the cost")
        assert turns[3].start_s < turns[2].end_s
        assert [s.overlap for s in transcript.segments if normalised(s.text) == "yeah"] == [True]
        assert call.stats["interruptions"] == {"rep": 1, "customer": 0}  # the rep over the customer; not the "yeah"
        for bite in call.bites:
            said_by = {normalised(s.text): s.speaker for s in transcript.segments}
            title = normalised(bite.title.removesuffix("…"))
            assert any(text.startswith(title) for text in said_by), "the title is a sentence one person said"
    page = login(Role.ADMIN).get(f"/calls/{call_id}").get_data(as_text=True)
    assert page.count("(said over the other speaker)") == 1
    shown = _page_turns(page)
    assert shown[1].startswith("0 02 customer yeah")
    assert shown[0] == f"0 00 rep {normalised(SCRIPT[0]['text'])}"
