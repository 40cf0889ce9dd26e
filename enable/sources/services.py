"""Recordings that arrive by themselves become calls: their metadata resolved (rep, deal, stage, language), the
people on them kept, the deal found from their emails, the unassigned ones given a rep by enablement."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from enable.auth.models import User
from enable.calls import services as calls
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.deals.models import Deal, DealContact, DealOutcome
from enable.errors import UserError
from enable.extensions import db
from enable.sources.metadata import RecordingMeta
from enable.sources.models import CallParticipant, DealMatch, SourceFile, SourceStatus

log = logging.getLogger(__name__)

# Domains anyone can have an address at: they say nothing about which company a participant is from.
FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "aol.com",
    "icloud.com", "me.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "mail.ru", "bk.ru", "inbox.ru",
    "list.ru", "yandex.ru", "ya.ru", "rambler.ru",
})  # fmt: skip
PAGE_SIZE = 50


@dataclass
class Resolved:
    """A recording's metadata checked against the site: the call's details, and what could not be used."""

    details: calls.CallDetails
    notes: list[str]
    rep_known: bool


def resolve_meta(meta: RecordingMeta) -> Resolved:
    """The call details the metadata gives; an unknown rep, deal, stage or language is left out with a note."""
    notes = list(meta.ignored)
    details = calls.CallDetails(title=meta.title or "", call_date=meta.call_date)
    if meta.rep_email:
        try:
            details.rep_id = calls.find_user_by_email(meta.rep_email).id
        except UserError:
            notes.append(_("No user has the rep's email %(email)s.", email=meta.rep_email))
    if meta.deal_external_id:
        try:
            details.deal_id = calls.find_deal(meta.deal_external_id).id
        except UserError:
            notes.append(_("No deal has the CRM id %(id)s.", id=meta.deal_external_id))
    for name in ("stage", "language"):
        value = getattr(meta, name)
        if not value:
            continue
        trial = calls.CallDetails(**{name: value})
        try:
            calls.check_details(trial)
        except UserError as e:
            notes.append(e.message)
        else:
            setattr(details, name, getattr(trial, name))
    return Resolved(details, notes, details.rep_id is not None)


def new_source(origin: str, name: str, folder: str = "", external_id: str | None = None,
               details: dict[str, Any] | None = None) -> SourceFile:
    """A source file row, waiting (flushed)."""
    source = SourceFile(origin=origin, folder=folder[:500], name=calls.display_filename(name) or "?",
                        external_id=external_id, status=SourceStatus.WAITING, details=details or {},
                        updated_at=utcnow())
    db.session.add(source)
    db.session.flush()
    return source


def set_fate(source: SourceFile, status: SourceStatus, reason: str | None = None, call_id: int | None = None) -> None:
    """Record what became of a source file."""
    source.status = status
    source.reason = reason[:2000] if reason else None
    if call_id is not None:
        source.call_id = call_id
    source.updated_at = utcnow()


def import_recording(path: Path, source: SourceFile, meta: RecordingMeta) -> SourceStatus:
    """Make a call of a complete recording on disk, with its metadata: the source's fate (imported, unassigned,
    duplicate or failed), recorded on it. Raises MediaRefused (too long, unreadable) and StorageFull (the disk is
    full; nothing stored) for the caller to decide. Flushes, never commits; the caller queues the call after."""
    resolved = resolve_meta(meta)
    source.details = {**(source.details or {}), "meta": meta.as_dict()}
    result = calls.accept_file(path, resolved.details, nofollow=True,  # never a link's target
                               filename=os.fsencode(path.name).decode("utf-8", "replace"))  # a cp1251 name shows
    call = result.call
    if not result.created:
        set_fate(source, SourceStatus.DUPLICATE,
                 _("The same recording is already call %(id)s (%(title)s).", id=call.id, title=call.title), call.id)
        return source.status
    if call.status == CallStatus.FAILED:
        set_fate(source, SourceStatus.FAILED, call.error, call.id)
        return source.status
    _add_participants(call, meta)
    if meta.speakers is not None and hasattr(call, "expected_speakers"):
        call.expected_speakers = meta.speakers
    match_deal(call)
    notes = resolved.notes
    if resolved.rep_known:
        set_fate(source, SourceStatus.IMPORTED, " ".join(notes) or None, call.id)
    else:
        notes.append(_("The rep is not known: enablement assigns one."))
        set_fate(source, SourceStatus.UNASSIGNED, " ".join(notes), call.id)
    log.info("source %s (%s) became call %s: %s", source.id, source.origin, call.id, source.status.value)
    return source.status


def _add_participants(call: Call, meta: RecordingMeta) -> None:
    seen: set[tuple[str | None, str | None]] = set()
    for person in meta.participants[:200]:
        key = (person.email, person.name)
        if key not in seen:
            seen.add(key)
            db.session.add(CallParticipant(call_id=call.id, email=person.email, name=person.name))
    db.session.flush()


def participants(call_id: int) -> list[CallParticipant]:
    """The people a call's source named."""
    return list(db.session.scalars(select(CallParticipant).where(CallParticipant.call_id == call_id)
                                   .order_by(CallParticipant.id)))


# Finding the deal ------------------------------------------------------------------------------------------------

def _internal_domains() -> set[str]:
    emails = db.session.scalars(select(User.email))
    return {e.rsplit("@", 1)[-1].lower() for e in emails if "@" in e}


def _account_of(deal: Deal) -> str:
    return (deal.account or "").strip().lower() or f"deal:{deal.id}"


def match_deal(call: Call) -> DealMatch:
    """Link the call to the deal its participants point to, and say why (or why not). Emails first (a contact
    of a deal), then domains (a contact at the same company); never across accounts: when participants point to
    two accounts, or the account has several open deals, no deal is chosen and the reason says so. A deal the
    source named is kept. Flushes."""
    match = db.session.get(DealMatch, call.id) or DealMatch(call_id=call.id, reason="")
    db.session.add(match)
    match.matched_at = utcnow()
    if call.deal_id is not None:
        match.deal_id, match.reason = call.deal_id, _("Named by the recording's metadata.")
        db.session.flush()
        return match
    people = participants(call.id)
    emails = sorted({p.email for p in people if p.email})
    internal = _internal_domains()
    outside = [e for e in emails if e.rsplit("@", 1)[-1] not in internal]
    how = ""
    deals: list[Deal] = []
    if outside:
        deals = list(db.session.scalars(select(Deal).join(DealContact).where(DealContact.email.in_(outside))
                                        .distinct()))
        how = _("the email of %(who)s", who=", ".join(outside[:3]))
        if not deals:
            domains = sorted({e.rsplit("@", 1)[-1] for e in outside} - FREE_MAIL)
            if domains:
                deals = list(db.session.scalars(
                    select(Deal).join(DealContact)
                    .where(or_(*[DealContact.email.endswith(f"@{d}", autoescape=True) for d in domains])).distinct()))
                how = _("the domain %(domain)s", domain=", ".join(domains[:3]))
    match.deal_id = None
    if not outside:
        match.reason = _("No participant from outside the company has an email; choose the deal by hand.")
    elif not deals:
        match.reason = _("No deal's contact matches %(how)s.", how=how)
    else:
        accounts = sorted({d.account or d.name for d in deals})
        if len({_account_of(d) for d in deals}) > 1:
            match.reason = _("Participants match several accounts (%(accounts)s); no deal was chosen. Choose it by "
                             "hand.", accounts=", ".join(accounts[:5]))
        else:
            account = deals[0].account
            same = deals if account is None else list(db.session.scalars(
                select(Deal).where(func.lower(Deal.account) == account.strip().lower())))
            open_deals = [d for d in same if d.outcome == DealOutcome.OPEN]
            chosen = open_deals if open_deals else same
            if len(chosen) == 1:
                match.deal_id = chosen[0].id
                call.deal_id = chosen[0].id
                match.reason = _("Matched by %(how)s (account %(account)s).", how=how, account=accounts[0])
            else:
                match.reason = _("Account %(account)s has %(n)s open deals; choose the deal by hand.",
                                 account=accounts[0], n=len(chosen))
    db.session.flush()
    return match


def deal_match(call: Call) -> DealMatch | None:
    """Why the call has its deal: the match, when it still describes the call's deal (else a person chose it)."""
    match = db.session.get(DealMatch, call.id)
    if match is None or match.deal_id != call.deal_id:
        return None
    return match


def deal_match_reason(call: Call) -> str | None:
    """The reason shown beside the call's deal: the automatic match's, or that a person chose it."""
    match = db.session.get(DealMatch, call.id)
    if match is None:
        return None
    if match.deal_id != call.deal_id:
        return _("Chosen by a person.") if call.deal_id is not None else None
    return match.reason


# Pages -------------------------------------------------------------------------------------------------------------

def source_files(status: SourceStatus | None, page: int) -> Any:
    """The source files, newest first, optionally of one status: a page of PAGE_SIZE."""
    query = select(SourceFile).options(selectinload(SourceFile.call)).order_by(SourceFile.id.desc())
    if status is not None:
        query = query.where(SourceFile.status == status)
    return db.paginate(query, page=page, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)


def status_counts() -> dict[SourceStatus, int]:
    """How many source files have each status."""
    rows = db.session.execute(select(SourceFile.status, func.count()).group_by(SourceFile.status))
    return {status: count for status, count in rows}


def unassigned() -> list[SourceFile]:
    """The sources whose call waits for a rep (oldest first)."""
    return list(db.session.scalars(
        select(SourceFile).options(selectinload(SourceFile.call)).where(SourceFile.status == SourceStatus.UNASSIGNED)
        .order_by(SourceFile.id).limit(500)))


def rep_choices() -> list[tuple[int, str]]:
    """(id, "name <email>") of the active users, for assigning a rep."""
    users = db.session.scalars(select(User).order_by(User.name))
    return [(u.id, f"{u.name} <{u.email}>") for u in users if getattr(u, "is_active", True)]


def assign_rep(source: SourceFile, rep_id: int, actor: User) -> Call:
    """Give the call of an unassigned source its rep; the source becomes imported. UserError when there is no such
    user or the source has no call any more."""
    call = db.session.get(Call, source.call_id) if source.call_id is not None else None
    if call is None:
        raise UserError(_("This recording's call was deleted."))
    rep = db.session.get(User, rep_id)
    if rep is None:
        raise UserError(_("The chosen rep does not exist."))
    call.rep_id, call.team_id = rep.id, rep.team_id
    set_fate(source, SourceStatus.IMPORTED, _("Rep assigned by %(name)s.", name=actor.name), call.id)
    from enable.audit import record

    record(actor, "call.assign_rep", call, {"rep_id": rep.id, "source_id": source.id})
    return call


@dataclass(frozen=True)
class ImportProgress:
    """How far the import of recordings that arrived by themselves has got: calls and hours of audio done, and an
    estimate of the time left (None until one call is done)."""

    done: int
    total: int
    done_s: float
    total_s: float
    left_s: float | None

    @property
    def done_hours(self) -> str:
        return f"{self.done_s / 3600:.1f}"

    @property
    def total_hours(self) -> str:
        return f"{self.total_s / 3600:.1f}"

    @property
    def left_minutes(self) -> int | None:
        return None if self.left_s is None else max(1, round(self.left_s / 60))


def import_progress(now: datetime) -> ImportProgress | None:
    """The progress of the calls from sources still being processed, counted from the oldest of them that is not
    done (None when none is waiting or running): the ones since then that are done, their audio, the time left at
    the pace so far."""
    active = [s for s in CallStatus if s.is_active]
    from_sources = select(SourceFile.call_id).where(SourceFile.call_id.is_not(None))
    oldest = db.session.scalar(select(func.min(Call.created_at)).where(Call.id.in_(from_sources),
                                                                        Call.status.in_(active)))
    if oldest is None:
        return None
    rows = db.session.execute(select(Call.status, Call.duration_s, Call.transcribed_at)
                              .where(Call.id.in_(from_sources), Call.created_at >= oldest)).all()
    done_rows = [r for r in rows if not r.status.is_active]
    done_s = sum(r.duration_s or 0 for r in done_rows)
    total_s = sum(r.duration_s or 0 for r in rows)
    elapsed = (now - oldest).total_seconds()
    left = (total_s - done_s) * elapsed / done_s if done_s > 0 and elapsed > 0 else None
    return ImportProgress(len(done_rows), len(rows), done_s, total_s, left)
