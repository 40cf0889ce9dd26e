"""Ask the library: a question ("how do our best reps answer 'we already use Gong'?") answered with the 3-5 moments
of calls that answer it best, grouped by rep, best examples first. Extractive only: every answer is sentences said
in a call, with the second to play them from; nothing is generated.

How moments are chosen:

1. The sentences nearest in meaning to the question, and to each quoted part of it (what the customer says), from
   the sentence index (``by_meaning``); a bite's score is its best sentence's cosine. Only bites in the search index
   count (archived and retired ones are not). With the model off or broken, bites holding the question's words
   (``_by_words``) instead.
2. Moments within ``CLOSE`` of the best score are the candidates; among them best examples come first, then
   moments of reps with won deals, then by score. At most ``MAX_MOMENTS``.
3. The answer of a moment: the sentence that matched and what follows it in the bite, until ``ANSWER_SENTENCES``
   sentences of the rep were said or ``ANSWER_S`` seconds passed (the customer's objection, then the rep's reply).
4. Groups: one per rep, in the order of their first moment.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select

from enable.analysis import WORD_PATTERN, terms
from enable.auth.models import User
from enable.bites.models import Bite
from enable.bites.sentences import Sentence, split_sentences
from enable.bites.slicer import flatten_words
from enable.calls import services as call_services
from enable.calls.models import Call
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.meaning.vector_index import NearSentence
from enable.search import by_meaning
from enable.search.index import IndexCorrupt, SearchQuery, speaker_role
from enable.search.indexing import get_index
from enable.search.services import bites_by_id, log_search, unavailable
from enable.transcription.store import TranscriptUnreadable

log = logging.getLogger(__name__)

MAX_MOMENTS = 5
CLOSE = 0.04  # cosine below the best moment's that still counts as answering the question
ANSWER_SENTENCES = 3  # sentences of the rep in an answer
ANSWER_S = 60.0  # longest answer, seconds from the sentence that matched
QUESTION_MAX_CHARS = 500
_WORD = re.compile(WORD_PATTERN)
_QUOTED = re.compile(r"[\"'“”«»‘’„]([^\"'“”«»‘’„]{3,200})[\"'“”«»‘’„]")


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer: what was said, from which second, by whom ("rep", "customer" or unknown)."""

    text: str
    start_s: float
    role: str | None
    matched: bool  # the sentence that matched the question


@dataclass(frozen=True)
class AnswerMoment:
    """A moment answering the question: the bite, the second to play from, its sentences and why it ranks."""

    bite: Bite
    start_s: float
    score: float
    sentences: list[AnswerSentence]
    is_best: bool
    rep_won_deals: int


@dataclass
class RepAnswers:
    """The moments of one rep (or of calls without a rep: ``rep`` None)."""

    rep: str | None
    won_deals: int
    moments: list[AnswerMoment] = field(default_factory=list)


@dataclass
class Answer:
    """What asking gives: the question and the moments grouped by rep, best first."""

    question: str
    groups: list[RepAnswers]

    @property
    def moments(self) -> list[AnswerMoment]:
        return [m for g in self.groups for m in g.moments]


def question_parts(question: str) -> list[str]:
    """What to look for: the whole question, and each quoted part of it."""
    parts = [question.strip()]
    parts += [m.group(1).strip() for m in _QUOTED.finditer(question) if m.group(1).strip()]
    return list(dict.fromkeys(p for p in parts if p))


def _nearest(question: str) -> dict[int, NearSentence]:
    """The best sentence of each bite near any part of the question; by words when meaning is unavailable."""
    best: dict[int, NearSentence] = {}
    for part in question_parts(question):
        near = by_meaning.nearest_moments(part)
        if near is None:
            return _by_words(question)
        for sentence in near:
            if sentence.bite_id not in best or sentence.score > best[sentence.bite_id].score:
                best[sentence.bite_id] = sentence
    return best


def _by_words(question: str) -> dict[int, NearSentence]:
    """Without the sentence model: bites holding any word of the quoted parts (else of the question), by BM25, each
    with its sentence holding most of those words. Scores are BM25's, so CLOSE keeps the best one only when they
    differ a lot; good enough for a fallback."""
    parts = question_parts(question)
    wanted = [w for part in (parts[1:] or parts) for w in _WORD.findall(part)]
    if not wanted:
        return {}
    found = get_index().search(SearchQuery(text=" OR ".join(dict.fromkeys(wanted)), per_page=MAX_MOMENTS * 3))
    terms_wanted = {t for w in wanted for t in terms(w)}
    best: dict[int, NearSentence] = {}
    bites = {b.id: b for b in bites_by_id([h.id for h in found.hits], with_tags=False)}
    top = max((h.score for h in found.hits), default=0.0) or 1.0
    for hit in found.hits:
        bite = bites.get(hit.id)
        if bite is None:
            continue
        sentences = _bite_sentences(bite)
        if not sentences:
            continue
        said = max(sentences, key=lambda s: len(terms_wanted & set(terms(s.text))))
        best[hit.id] = NearSentence(hit.id, bite.call_id, said.start_s, said.text, hit.score / top)
    return best


def _bite_sentences(bite: Bite) -> list[Sentence]:
    """The sentences starting in a bite, from its call's transcript (none when it cannot be read)."""
    try:
        transcript = call_services.read_transcript(bite.call_id)
    except TranscriptUnreadable as exc:
        log.warning("%s", exc)
        return []
    if transcript is None:
        return []
    return [s for s in split_sentences(flatten_words(transcript.segments))
            if bite.first_word <= s.first_word <= bite.last_word]


def _won_deals(rep_ids: set[int]) -> dict[int, int]:
    """Won deals per rep, counted through their calls."""
    if not rep_ids:
        return {}
    rows = db.session.execute(select(Call.rep_id, func.count(func.distinct(Deal.id)))
                              .join(Deal, Deal.id == Call.deal_id)
                              .where(Call.rep_id.in_(sorted(rep_ids)), Deal.outcome == DealOutcome.WON)
                              .group_by(Call.rep_id))
    return {int(rep): int(n) for rep, n in rows if rep is not None}


def answer_sentences(bite: Bite, matched: NearSentence) -> list[AnswerSentence]:
    """The sentence that matched and the reply that follows it in the bite (see the module docstring)."""
    fallback = [AnswerSentence(matched.text, matched.start_s, None, True)]
    sentences = _bite_sentences(bite)
    at = next((i for i, s in enumerate(sentences) if s.text == matched.text
               and abs(s.start_s - matched.start_s) < 0.5), None)
    if at is None:
        return fallback
    found = [AnswerSentence(sentences[at].text, sentences[at].start_s, speaker_role(sentences[at].speaker), True)]
    said_by_rep = 1 if found[0].role == "rep" else 0
    for sentence in sentences[at + 1 :]:
        if said_by_rep >= ANSWER_SENTENCES or sentence.start_s - matched.start_s > ANSWER_S:
            break
        role = speaker_role(sentence.speaker)
        found.append(AnswerSentence(sentence.text, sentence.start_s, role, False))
        said_by_rep += role == "rep"
    return found


def ask_library(question: str, user: User | None) -> Answer:
    """Answer a question with moments of the library (see the module docstring); the search is logged for the
    search-gap report with the number of moments. Without the sentence model, moments are found by words. An
    unreadable word index raises SearchUnavailable (a message for the user), as a search does."""
    question = question.strip()[:QUESTION_MAX_CHARS]
    if not question:
        return Answer(question, [])
    try:
        return _answer(question, user)
    except IndexCorrupt as exc:
        raise unavailable(exc) from exc


def _answer(question: str, user: User | None) -> Answer:
    near = _nearest(question)
    passing, _worded = get_index().among(SearchQuery(), list(near))
    scored = sorted((near[i] for i in passing), key=lambda s: -s.score)
    if scored:
        scored = [s for s in scored if s.score >= scored[0].score - CLOSE][: MAX_MOMENTS * 3]
    bites = {b.id: b for b in bites_by_id([s.bite_id for s in scored], with_tags=False)}
    won = _won_deals({b.call.rep_id for b in bites.values() if b.call.rep_id is not None})
    ranked = sorted((s for s in scored if s.bite_id in bites),
                    key=lambda s: (not bites[s.bite_id].is_best, not won.get(bites[s.bite_id].call.rep_id or 0),
                                   -s.score))[:MAX_MOMENTS]
    groups: dict[int | None, RepAnswers] = {}
    for sentence in ranked:
        bite = bites[sentence.bite_id]
        rep = bite.call.rep
        group = groups.setdefault(rep.id if rep else None,
                                  RepAnswers(rep.name if rep else None, won.get(rep.id, 0) if rep else 0))
        group.moments.append(AnswerMoment(bite, sentence.start_s, sentence.score, answer_sentences(bite, sentence),
                                          bite.is_best, group.won_deals))
    log_search(user, SearchQuery(text=question), len(ranked))
    return Answer(question, list(groups.values()))
