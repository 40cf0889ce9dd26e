"""Editing a bite's boundaries and title (enablement and managers): rename, trim, split at a sentence, merge with the
next bite of the same call.

A bite is a view on its call's transcript: editing changes which words it holds (its word indexes, times, text and
speakers), never the transcript file. Every edit snaps to word boundaries, retags the bites it changed (as `bites
retag` would: tags people added or removed, and confirmed moments, stay), gives them their default title unless a
person named them, and marks them curated: a re-run of the call (re-transcription, retagging) keeps them as they are.

What names a bite follows it. The bite that stays keeps its id (on a split the first part, on a merge the first
bite), so playlists, track steps, quiz questions, usage history and links stay with it; on a merge, what named the
second bite moves to the first (`services._move_references`, plus usage events and tracker examples). Comments are
anchored to (call, second) with an optional bite id: code that keeps bite ids elsewhere registers with
`on_bite_moved` and is told which seconds of the call moved from one bite to another.

Services are commit-free; each takes the bites' row locks first (`database.lock_row`), so two curators editing the
same bite at once apply one after the other, each on what the other committed. Splits and merges, which renumber the
call's later bites, take the call's row lock before any bite's (on PostgreSQL two of them could otherwise lock the
later bites in opposite orders). The caller commits, then updates the
search index with `EditResult.reindex` and `EditResult.removed`, and the sentence index (search by meaning: which bite
holds each sentence) with `EditResult.call_id` (``search.indexing.index_edit`` does both).

Who may edit: enablement and admins every bite; a manager the bites of the calls they may change (their team's and
those they uploaded), as for the call itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from enable import audit, events
from enable.auth.models import Role, User
from enable.bites import services
from enable.bites.models import Bite, BiteTag, MomentReview, TagSource, TrackerExample
from enable.bites.sentences import Sentence, split_sentences
from enable.bites.slicer import WordLike, flatten_words, join_words, make_title
from enable.calls import services as call_services
from enable.calls.models import Call
from enable.database import lock_row
from enable.db import utcnow
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.transcription.store import TranscriptUnreadable

TITLE_MAX = 200
# How far past the call's last word a trim may still end (the last word's end is rounded on the page).
END_SLACK_S = 1.0


class EditRefused(UserError):
    """A well-formed edit that cannot be made (a trim outside the call or into a neighbour, an empty title...)."""

    status_code = 422


class BiteGone(UserError):
    """The bite was merged into another or removed while the page was open."""

    status_code = 409


# Hooks told when seconds of a call move from one bite to another: (call_id, from bite id, to bite id, start_s,
# end_s). Comments anchored to a bite (another capability) register one to move those within the seconds.
BiteMoved = Callable[[int, int, int, float, float], None]
_moved_hooks: list[BiteMoved] = []


def on_bite_moved(hook: BiteMoved) -> BiteMoved:
    """Register `hook`, called within the editing transaction when seconds move from one bite to another (a split
    gives the second part's seconds to the new bite; a merge gives the second bite's seconds to the first)."""
    _moved_hooks.append(hook)
    return hook


def _moved(call_id: int, from_id: int, to_id: int, start_s: float, end_s: float) -> None:
    for hook in _moved_hooks:
        hook(call_id, from_id, to_id, start_s, end_s)


@dataclass
class EditResult:
    """What an edit changed: the bite the page shows next, the ids to reindex and to take out of the index."""

    bite: Bite
    reindex: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    call_id: int = 0  # whose sentences the meaning index re-reads (which bite holds each sentence)


def can_curate(user: User, call: Call) -> bool:
    """Enablement and admins edit the bites of every call; a manager those of the calls they may change (their
    team's and those they uploaded: ``calls.services.can_manage``)."""
    return user.has_role(Role.MANAGER) and call_services.can_manage(user, call)


def _check(user: User, call: Call) -> None:
    if not can_curate(user, call):
        raise NotAllowed(_("Only enablement, admins and the team's manager can edit this call's bites."))


def _locked(bite: Bite) -> Bite:
    """Take the bite's row lock and reload it; BiteGone when another curator merged it away meanwhile."""
    bite_id = bite.id
    lock_row(bite)
    if db.session.scalar(select(Bite.id).where(Bite.id == bite_id)) is None:
        db.session.expunge(bite)
        raise BiteGone(_("This bite was merged into another or removed meanwhile; open the call to find its moment."))
    db.session.refresh(bite)
    return bite


def _curated(bite: Bite, user: User, now: datetime) -> None:
    bite.curated_at, bite.curated_by_id, bite.updated_at = now, user.id, now


# -- rename --------------------------------------------------------------------------------------------------------

def rename(bite: Bite, title: str, user: User, *, now: datetime | None = None) -> EditResult:
    """Give the bite a title of its own; retagging and re-runs keep it."""
    _check(user, bite.call)
    title = " ".join((title or "").split())
    if not title:
        raise EditRefused(_("Give the bite a title."))
    if len(title) > TITLE_MAX:
        raise EditRefused(_("A title can be at most %(n)d characters long.", n=TITLE_MAX))
    bite = _locked(bite)
    now = now or utcnow()
    before = bite.title
    bite.title, bite.title_by_hand = title, True
    _curated(bite, user, now)
    audit.record(user, "bite.rename", bite, {"from": before, "to": title}, at=now)
    db.session.flush()
    return EditResult(bite, reindex=[bite.id], call_id=bite.call_id)


# -- the words of a call -----------------------------------------------------------------------------------------

@dataclass
class CallWords:
    """A call's words in the order bites index them, with what retagging needs."""

    call: Call
    words: list[WordLike]
    said: services.CallSentences
    taxonomy: services.Taxonomy

    @property
    def end_s(self) -> float:
        return max((w.end for w in self.words), default=0.0)


def call_words(call: Call) -> CallWords:
    """Read the call's transcript (a clear error when it is missing or damaged: a bite cannot be cut without it)."""
    try:
        transcript = call_services.read_transcript(call.id)
    except TranscriptUnreadable:
        transcript = None
    if transcript is None or not transcript.segments:
        raise EditRefused(_("The transcript of this call is missing or damaged, so its bites cannot be edited; "
                          "re-transcribe the call first."))
    words = flatten_words(transcript.segments)
    taxonomy = services.load_taxonomy()
    said = services.call_sentences(call.id, words, taxonomy, skip=services.untagged_words(transcript.segments))
    return CallWords(call, words, said, taxonomy)


def _refresh(bite: Bite, cw: CallWords, first: int, last: int) -> None:
    """Make the bite hold words first..last: times, text, speakers, tags and (unless named by hand) title."""
    chosen = cw.words[first : last + 1]
    bite.first_word, bite.last_word = first, last
    bite.start_s = round(min(w.start for w in chosen), 3)
    bite.end_s = round(max(w.end for w in chosen), 3)
    bite.text = join_words(chosen)
    bite.speakers = list(dict.fromkeys(w.speaker for w in chosen if w.speaker))
    services.retag_bite(bite, cw.said.hits(cw.taxonomy.tagger, first, last), cw.taxonomy,
                        cw.taxonomy.stage(cw.call.stage))
    if not bite.title_by_hand:
        bite.title = services.default_title(bite, cw.said, cw.taxonomy, make_title(chosen))


def _others(bite: Bite) -> tuple[Bite | None, Bite | None]:
    """The previous and next bite of the same call."""
    rows = db.session.scalars(select(Bite).where(Bite.call_id == bite.call_id, Bite.id != bite.id)).all()
    prev = max((b for b in rows if b.seq < bite.seq), key=lambda b: b.seq, default=None)
    nxt = min((b for b in rows if b.seq > bite.seq), key=lambda b: b.seq, default=None)
    return prev, nxt


def _clock(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# -- trim ------------------------------------------------------------------------------------------------------

def snap(words: Sequence[WordLike], start_s: float, end_s: float) -> tuple[int, int] | None:
    """The first and last index of the words whose middle lies within start_s..end_s (a trim snaps to word
    boundaries: a word half in is in), or None when no word does."""
    inside = [i for i, w in enumerate(words) if start_s <= (w.start + w.end) / 2 <= end_s]
    return (min(inside), max(inside)) if inside else None


def trim(bite: Bite, start_s: float, end_s: float, user: User, *, now: datetime | None = None) -> EditResult:
    """Move the bite's start and end to the word boundaries nearest `start_s` and `end_s` (seconds of the call)."""
    _check(user, bite.call)
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise EditRefused(_("Give the start and the end in seconds from the call's start."))
    if start_s >= end_s:
        raise EditRefused(_("The start must come before the end."))
    cw = call_words(bite.call)  # before the lock: reading the transcript and the taxonomy holds no one up
    # The call's lock first, as splits and merges take it: the neighbours read below stay as they are until the
    # commit (two trims of adjacent bites, or a trim and a split, apply one after the other).
    lock_row(bite.call)
    bite = _locked(bite)
    if start_s < 0 or end_s > cw.end_s + END_SLACK_S:
        raise EditRefused(_("The call's speech runs from 0:00 to %(end)s; choose a start and an end within it.",
                          end=_clock(math.ceil(cw.end_s))))
    found = snap(cw.words, start_s, end_s)
    if found is None:
        raise EditRefused(_("No word is said between %(start)s and %(end)s; choose a longer stretch.",
                          start=_clock(start_s), end=_clock(end_s)))
    first, last = found
    prev, nxt = _others(bite)
    if prev is not None and first <= prev.last_word:
        raise EditRefused(_("The bite would start inside the previous bite (which ends at %(end)s): start later, or "
                          "merge the two bites.", end=_clock(prev.end_s)))
    if nxt is not None and last >= nxt.first_word:
        raise EditRefused(_("The bite would end inside the next bite (which starts at %(start)s): end earlier, or "
                          "merge the two bites.", start=_clock(nxt.start_s)))
    now = now or utcnow()
    before = (bite.start_s, bite.end_s)
    _refresh(bite, cw, first, last)
    _curated(bite, user, now)
    audit.record(user, "bite.trim", bite, {"from": list(before), "to": [bite.start_s, bite.end_s]}, at=now)
    db.session.flush()
    return EditResult(bite, reindex=[bite.id], call_id=bite.call_id)


# -- split ------------------------------------------------------------------------------------------------------

def split_points(bite: Bite, words: Sequence[WordLike]) -> list[Sentence]:
    """The sentences a bite can be split before: every sentence of the bite but its first."""
    return [s for s in split_sentences(words[bite.first_word : bite.last_word + 1], offset=bite.first_word)
            if s.first_word > bite.first_word]


def page_split_points(bite: Bite) -> list[Sentence]:
    """Split points for the bite page (no taxonomy loaded); none when the transcript cannot be read."""
    try:
        transcript = call_services.read_transcript(bite.call_id)
    except TranscriptUnreadable:
        return []
    return split_points(bite, flatten_words(transcript.segments)) if transcript is not None else []


def _shift_after(call_id: int, seq: int, by: int) -> None:
    """Move the positions of the call's bites after `seq` by `by` (two steps through negatives: (call, seq) is
    unique at every row)."""
    db.session.flush()
    db.session.execute(update(Bite).where(Bite.call_id == call_id, Bite.seq > seq).values(seq=-Bite.seq - 1 - by)
                       .execution_options(synchronize_session="fetch"))
    db.session.execute(update(Bite).where(Bite.call_id == call_id, Bite.seq < 0).values(seq=-Bite.seq - 1)
                       .execution_options(synchronize_session="fetch"))


def _kept_tags(bite: Bite) -> list[BiteTag]:
    """Copies of what people decided about the bite's tags: manual tags, tags taken off, confirmed moments."""
    return [BiteTag(tag_id=t.tag_id, source=t.source, phrase=t.phrase, at_s=t.at_s, match=t.match, sentence=t.sentence,
                    speaker=t.speaker, score=t.score, review=t.review, is_removed=t.is_removed,
                    added_by_id=t.added_by_id)
            for t in bite.tags
            if t.source == TagSource.MANUAL or t.is_removed or t.review == MomentReview.CONFIRMED]


def split(bite: Bite, at_word: int, user: User, *, now: datetime | None = None) -> EditResult:
    """Cut the bite in two before the sentence starting at word `at_word`: the first part keeps the id (and what
    names it); the second is a new bite, placed after the first in every playlist holding it."""
    from enable.search.models import PlaylistItem

    _check(user, bite.call)
    cw = call_words(bite.call)
    lock_row(bite.call)  # splits and merges of one call in turn: they renumber the call's later bites
    bite = _locked(bite)
    if at_word not in {s.first_word for s in split_points(bite, cw.words)}:
        raise EditRefused(_("Choose a sentence of this bite, after its first, to split before."))
    now = now or utcnow()
    first, last = bite.first_word, bite.last_word
    _shift_after(bite.call_id, bite.seq, 1)
    second = Bite(call_id=bite.call_id, seq=bite.seq + 1, language=bite.language, title="…", text="",
                  first_word=at_word, last_word=last, start_s=0.0, end_s=0.0, tags=_kept_tags(bite),
                  owner_id=bite.owner_id, verifier_id=bite.verifier_id,
                  review_interval_days=bite.review_interval_days, verified_at=bite.verified_at,
                  verified_by_id=bite.verified_by_id)
    db.session.add(second)
    _refresh(bite, cw, first, at_word - 1)
    db.session.flush()
    _refresh(second, cw, at_word, last)
    for row in (bite, second):
        _curated(row, user, now)
    db.session.flush()
    for item in db.session.scalars(select(PlaylistItem).where(PlaylistItem.bite_id == bite.id)).all():
        db.session.execute(update(PlaylistItem).where(PlaylistItem.playlist_id == item.playlist_id,
                                                      PlaylistItem.position > item.position)
                           .values(position=PlaylistItem.position + 1))
        db.session.add(PlaylistItem(playlist_id=item.playlist_id, bite_id=second.id, position=item.position + 1,
                                    added_by_id=user.id))
    _moved(bite.call_id, bite.id, second.id, second.start_s, second.end_s)
    audit.record(user, "bite.split", bite, {"new_bite": second.id, "at_s": second.start_s}, at=now)
    events.emit(events.BITE_CREATED, _event(second))
    db.session.flush()
    db.session.expire(bite.call, ["bites"])
    return EditResult(bite, reindex=[bite.id, second.id], call_id=bite.call_id)


# -- merge ------------------------------------------------------------------------------------------------------

def merge_next(bite: Bite, user: User, *, now: datetime | None = None) -> EditResult:
    """Join the next bite of the same call to this one: this bite keeps its id and takes over what named the next
    one (playlists, track steps, quiz questions, usage history, tracker examples, its tags people decided on)."""
    from enable.usage import UsageEvent

    _check(user, bite.call)
    cw = call_words(bite.call)
    lock_row(bite.call)  # splits and merges of one call in turn: they renumber the call's later bites
    bite = _locked(bite)
    _prev, nxt = _others(bite)
    if nxt is None:
        raise EditRefused(_("This is the call's last bite: there is no next bite to merge with."))
    nxt = _locked(nxt)
    now = now or utcnow()
    gone_id, gone_range, gone_seq, gone_first = nxt.id, (nxt.start_s, nxt.end_s), nxt.seq, nxt.first_word
    have = {t.tag_id for t in bite.tags}
    for row in _kept_tags(nxt):
        if row.tag_id not in have:
            bite.tags.append(row)
    bite.is_best = bite.is_best or nxt.is_best
    bite.best_marked_by_id = bite.best_marked_by_id or nxt.best_marked_by_id
    bite.owner_id = bite.owner_id or nxt.owner_id
    last = max(bite.last_word, nxt.last_word)
    services._move_references({gone_id: bite.id})
    db.session.execute(update(UsageEvent).where(UsageEvent.item_type == "bite", UsageEvent.item_id == gone_id)
                       .values(item_id=bite.id))
    db.session.execute(update(TrackerExample).where(TrackerExample.bite_id == gone_id).values(bite_id=bite.id))
    _moved(bite.call_id, gone_id, bite.id, *gone_range)
    db.session.delete(nxt)
    db.session.flush()
    _shift_after(bite.call_id, gone_seq, -1)
    _refresh(bite, cw, min(bite.first_word, gone_first), last)
    _curated(bite, user, now)
    audit.record(user, "bite.merge", bite, {"merged": gone_id}, at=now)
    events.emit(events.BITE_REMOVED, {"bite_id": gone_id, "call_id": bite.call_id, "start_s": gone_range[0],
                                      "end_s": gone_range[1], "replaced_by": bite.id})
    db.session.flush()
    db.session.expire(bite.call, ["bites"])
    return EditResult(bite, reindex=[bite.id], removed=[gone_id], call_id=bite.call_id)


def _event(bite: Bite) -> dict[str, object]:
    return {"bite_id": bite.id, "call_id": bite.call_id, "seq": bite.seq, "title": bite.title,
            "start_s": bite.start_s, "end_s": bite.end_s, "language": bite.language, "path": f"/bites/{bite.id}"}
