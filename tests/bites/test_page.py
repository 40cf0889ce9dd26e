"""What the bite page reads: the bite's words from the stored transcript, its neighbours, in few queries."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from enable.bites.page import bite_page, bite_words, load_bite, read_bite_words
from enable.bites.slicer import cut_bites
from enable.calls.services import read_transcript
from enable.extensions import db
from enable.transcription.types import Segment, Transcript
from tests.search.factories import make_bite, make_call, seed_taxonomy, tag, transcript_from_lines, write_transcript

LINES = [
    ("rep", "Thanks for joining. Shall we look at the <proposal> & price?", 0.0, 6.0),
    ("customer", "Honestly this is too expensive for us.", 6.5, 10.0),
    ("rep", "I hear you. Let me show where the cost pays back.", 10.5, 15.0),
]


def _stereo(lines: Transcript) -> Transcript:
    """The same words split into one segment per channel, so time order interleaves the two segments' words."""
    rep = [w for s in lines.segments for w in s.words if s.speaker == "rep"]
    customer = [w for s in lines.segments for w in s.words if s.speaker == "customer"]
    return Transcript(language="en", duration_s=15.0, model="scripted", channels=2, speakers=["customer", "rep"],
                      segments=[Segment(0.0, 15.0, "rep", "rep", rep), Segment(6.5, 10.0, "c", "customer", customer)])


@pytest.mark.parametrize("stereo", [False, True])
def test_the_bite_words_are_those_a_full_transcript_read_gives(app, stereo):
    with app.app_context():
        transcript = transcript_from_lines(LINES)
        if stereo:
            transcript = _stereo(transcript)
        call = make_call()
        write_transcript(call, transcript)
        words = list(transcript.words())
        exact = make_bite(call, "middle", seq=0, start_s=words[10].start, end_s=words[16].end, first_word=10,
                          last_word=16)
        # Stored indexes that no longer match the words (a re-transcribed call): found by the bite's times.
        stale = make_bite(call, "stale", seq=1, start_s=words[3].start, end_s=words[8].end, first_word=30,
                          last_word=40)
        db.session.commit()
        for bite in (exact, stale):
            expected = bite_words(bite, read_transcript(call.id))
            assert read_bite_words(bite) == expected
            assert expected and expected[0].start == pytest.approx(bite.start_s)
        assert [w.text for w in read_bite_words(exact)] == [w.text for w in words[10:17]]


def _long_call(stereo: bool) -> Transcript:
    """Ten minutes of lines of 12 words (under half a second apart), some saying "start" (the key of a word's time in
    the stored JSON); in stereo the customer's channel overlaps the rep's, so that their words interleave."""
    lines = []
    for i in range(100):
        said = ["start" if i % 10 == 3 and k == 4 else f"r{i}w{k}" for k in range(12)]
        lines.append(("rep", " ".join(said), i * 6.0, i * 6.0 + 5.5))
        if stereo:
            lines.append(("customer", " ".join(f"c{i}w{k}" for k in range(8)), i * 6.0 + 3.0, i * 6.0 + 8.0))
    return transcript_from_lines(lines)


@pytest.mark.parametrize("stereo", [False, True])
def test_a_bite_of_a_long_call_has_the_words_a_full_transcript_read_gives(app, stereo):
    with app.app_context():
        transcript = _long_call(stereo)
        call = make_call()
        write_transcript(call, transcript)
        words = list(transcript.words())
        spans = [(0, 40), (605, 705), (len(words) - 55, len(words) - 1)]  # the start, the middle, the end
        bites = [make_bite(call, f"exact {seq}", seq=seq, start_s=words[first].start, end_s=words[last].end,
                           first_word=first, last_word=last) for seq, (first, last) in enumerate(spans)]
        bites.append(make_bite(call, "stale", seq=3, start_s=words[800].start, end_s=words[850].end,
                               first_word=100, last_word=150))
        db.session.commit()
        full = read_transcript(call.id)
        for bite in bites:
            assert read_bite_words(bite) == bite_words(bite, full)
        assert [w.text for w in read_bite_words(bites[1])] == [w.text for w in words[605:706]]


def test_the_bites_of_talk_over_each_other_read_back_their_own_words_each_sentence_whole(app):
    # ten minutes of the rep's sentences, the customer's "mm-hm" inside some and answers overlapping their ends,
    # stored channel by channel (all the rep's segments, then all the customer's)
    rep, customer = [], []
    for i in range(100):
        rep.append(("rep", " ".join(f"r{i}w{k}" for k in range(12)) + ".", i * 6.0, i * 6.0 + 5.5))
        if i % 3 == 0:
            customer.append(("customer", "mm-hm", i * 6.0 + 2.0, i * 6.0 + 2.6))
        if i % 4 == 1:
            customer.append(("customer", f"Right c{i}a c{i}b c{i}c.", i * 6.0 + 5.0, i * 6.0 + 5.9))
    with app.app_context():
        transcript = transcript_from_lines(rep + customer)
        call = make_call()
        write_transcript(call, transcript)
        words = list(transcript.words())
        ranges = cut_bites(transcript.segments)
        assert len(ranges) >= 4
        bites = [make_bite(call, r.title, seq=seq, start_s=r.start_s, end_s=r.end_s, first_word=r.first_word,
                           last_word=r.last_word) for seq, r in enumerate(ranges)]
        db.session.commit()
        for r, bite in zip(ranges, bites, strict=True):
            read = read_bite_words(bite)
            assert read == words[r.first_word : r.last_word + 1]  # by the stored indexes, in speaking order
            text = " ".join(w.text for w in read)
            assert r.text == text
            assert "mm-hm" not in r.title and r.title.startswith("r")  # a sentence of the rep, never mixed
        said = " ".join(r.text for r in ranges)
        rep_3 = " ".join(f"r3w{k}" for k in range(12))
        assert f"{rep_3}. mm-hm r4w0" in said  # the "mm-hm" said inside the sentence follows it whole
        assert "r1w11. Right c1a c1b c1c. r2w0" in said  # the answer over its end follows it


def test_a_call_without_transcript_has_no_words(app):
    with app.app_context():
        call = make_call()
        bite = make_bite(call, "no transcript")
        db.session.commit()
        assert read_bite_words(bite) is None
        assert bite_page(bite).has_transcript is False


def test_the_page_links_the_bites_either_side_and_escapes_every_word(app):
    with app.app_context():
        seed_taxonomy()
        call = make_call()
        write_transcript(call, transcript_from_lines(LINES))
        bites = [make_bite(call, f"bite {seq}", seq=seq, start_s=seq * 5.0, end_s=seq * 5.0 + 6.0, first_word=0,
                           tags=[tag("stage", "negotiation")]) for seq in (0, 2, 5)]  # gaps in seq
        db.session.commit()
        ids = [b.id for b in bites]
        queries: list[str] = []

        def count(conn, cursor, statement, *args):
            queries.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        page = bite_page(load_bite(ids[1]))
        event.remove(db.engine, "before_cursor_execute", count)
        assert (page.prev.id, page.next.id) == (ids[0], ids[2])
        first = bite_page(load_bite(ids[0]))
        last = bite_page(load_bite(ids[2]))
        assert first.prev is None and first.next.id == ids[1]
        assert last.prev.id == ids[1] and last.next is None
        assert len(queries) <= 4  # bite with call/rep/deal, its tags, their tags, the call's bite ids
        html = "".join(line.buttons for line in first.lines)
        assert "&lt;proposal&gt;" in html and "&amp;" in html and "<proposal>" not in html
        assert '<button type="button" class="word" data-start="0.000" data-end="' in html
