"""Importing CRM deal exports: plan and apply an upsert by external id, and keep uploads between preview and confirm."""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from enable.audit import record
from enable.auth.models import User
from enable.deals.csv_import import DealRow, ParseResult, RowError, parse_deals
from enable.deals.models import Deal, DealContact, DealOutcome
from enable.errors import UserError
from enable.extensions import db

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STASH_HOURS = 24  # an upload not confirmed within this many hours is deleted
_SOURCES = {"salesforce": "salesforce", "hubspot": "hubspot", "api": "api"}  # any other format is a plain CSV import
_LIMITS = {"name": 255, "account": 255, "stage": 100, "owner_name": 255}


class ImportProblem(UserError):
    """The file as a whole cannot be imported (unreadable, unknown columns, no deals)."""

    status_code = 422


class UploadExpired(UserError):
    """The uploaded file kept for confirmation is gone."""

    status_code = 404


@dataclass(frozen=True)
class RowPlan:
    """What importing one row does: create, update or leave a deal unchanged, and whose deal it is."""

    row: DealRow
    action: str  # create, update, unchanged
    owner_id: int | None
    owner_label: str | None

    @property
    def outcome(self) -> DealOutcome:
        return DealOutcome(self.row.outcome)


@dataclass
class ImportOutcome:
    """Counts and details of an import (or of a dry run: what it would do)."""

    format: str
    plans: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    changed_outcome_ids: list[int] = field(default_factory=list)  # deals whose won/lost/open changed
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for p in self.plans if p.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def rejected(self) -> int:
        return len(self.errors)

    def summary(self) -> str:
        """One line for the CLI and the log."""
        return (f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
                f"rejected {self.rejected}")


class OwnerMatcher:
    """Finds the user a CRM owner cell names: by email, else by name (case-insensitive, unambiguous only)."""

    def __init__(self) -> None:
        rows = db.session.execute(select(User.id, User.email, User.name)).all()
        self.by_email = {email.lower(): (uid, name) for uid, email, name in rows}
        by_name: dict[str, list[tuple[int, str]]] = {}
        for uid, _email, name in rows:
            by_name.setdefault(" ".join(name.lower().split()), []).append((uid, name))
        self.by_name = {key: found[0] for key, found in by_name.items() if len(found) == 1}

    def match(self, owner: str | None) -> tuple[int, str] | None:
        """(user id, user name) for the owner text, or None when no single user fits."""
        if not owner:
            return None
        text = " ".join(owner.lower().split())
        return self.by_email.get(text) or self.by_name.get(text)


def _existing(external_ids: list[str]) -> dict[str, Deal]:
    found: dict[str, Deal] = {}
    for start in range(0, len(external_ids), 500):
        chunk = external_ids[start:start + 500]
        found.update({d.external_id: d for d in db.session.scalars(
            select(Deal).options(selectinload(Deal.contacts)).where(Deal.external_id.in_(chunk)))})
    return found


def _values(row: DealRow, owner: tuple[int, str] | None, source: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": row.name, "account": row.account, "amount_cents": row.amount_cents, "currency": row.currency,
        "stage": row.stage, "outcome": DealOutcome(row.outcome), "close_on": row.close_on,
        "created_on": row.created_on, "owner_id": owner[0] if owner else None, "owner_name": row.owner,
        "source": source,
    }
    for key, limit in _LIMITS.items():
        if isinstance(values[key], str) and len(values[key]) > limit:
            values[key] = values[key][: limit - 1] + "…"
    return values


def _contacts_of(deal: Deal) -> dict[str, str | None]:
    return {c.email: c.name for c in deal.contacts}


def _keep_contacts(deal: Deal, row: DealRow) -> None:
    """The deal's contacts become those of the row (a column left empty keeps the ones known)."""
    if not row.contacts:
        return
    wanted = dict(row.contacts)
    for contact in list(deal.contacts):
        if contact.email not in wanted:
            deal.contacts.remove(contact)
        else:
            contact.name = wanted.pop(contact.email)
    deal.contacts.extend(DealContact(email=email, name=name) for email, name in wanted.items())


def import_deals(result: ParseResult, *, actor: User | None, now: datetime | None = None,
                 dry_run: bool = False) -> ImportOutcome:
    """Create or update a deal per parsed row (matched by external id); with dry_run only plan it. Never commits."""
    if result.problem:
        raise ImportProblem(result.problem)
    if now is None and not dry_run:
        raise ValueError("an import that saves needs `now`")
    outcome = ImportOutcome(format=result.format, errors=list(result.errors), warnings=list(result.warnings),
                            dry_run=dry_run)
    owners = OwnerMatcher()
    source = _SOURCES.get(result.format, "csv")
    rows = [r for r in result.rows if len(r.external_id) <= 100]
    outcome.errors.extend(RowError(r.line, _("The deal ID is longer than 100 characters."))
                          for r in result.rows if len(r.external_id) > 100)
    outcome.errors.sort(key=lambda e: e.line)
    existing = _existing([r.external_id for r in rows])
    for row in rows:
        owner = owners.match(row.owner)
        values = _values(row, owner, source)
        deal = existing.get(row.external_id)
        if deal is None:
            action = "create"
            if not dry_run:
                deal = Deal(external_id=row.external_id, **values)
                db.session.add(deal)
                _keep_contacts(deal, row)
        else:
            changed = {k: v for k, v in values.items() if getattr(deal, k) != v}
            contacts_changed = bool(row.contacts) and _contacts_of(deal) != dict(row.contacts)
            action = "update" if changed or contacts_changed else "unchanged"
            if (changed or contacts_changed) and not dry_run:
                if "outcome" in changed:
                    outcome.changed_outcome_ids.append(deal.id)
                for key, value in changed.items():
                    setattr(deal, key, value)
                if contacts_changed:
                    _keep_contacts(deal, row)
                deal.updated_at = now
        outcome.plans.append(RowPlan(row, action, owner[0] if owner else None, owner[1] if owner else None))
    if not dry_run:
        db.session.flush()
        record(actor, "deals.import", None, {"format": result.format, "created": outcome.created,
                                              "updated": outcome.updated, "rejected": outcome.rejected})
        log.info("deal import (%s): %s", result.format, outcome.summary())
    return outcome


def preview_import(data: bytes, fmt: str = "auto", mapping: dict[str, str] | None = None
                   ) -> tuple[ParseResult, ImportOutcome | None]:
    """Parse a file and plan its import without changing anything; the plan is None when the file has a problem."""
    result = parse_deals(data, fmt, mapping)
    if result.problem:
        return result, None
    return result, import_deals(result, actor=None, dry_run=True)


def deal_count() -> int:
    """How many deals there are."""
    return db.session.scalar(select(func.count(Deal.id))) or 0


# Uploads wait in the data folder between the preview and the confirmation, never in the session cookie.

@dataclass
class StashedUpload:
    """An uploaded file kept for confirmation, with who uploaded it and the chosen format and column mapping."""

    token: str
    data: bytes
    meta: dict[str, Any]

    @property
    def fmt(self) -> str:
        return str(self.meta.get("format") or "auto")

    @property
    def mapping(self) -> dict[str, str] | None:
        return self.meta.get("mapping") or None

    @property
    def filename(self) -> str:
        return str(self.meta.get("filename") or "")


def _paths(folder: Path, token: str) -> tuple[Path, Path]:
    if not _TOKEN.match(token):
        raise UploadExpired(_("This upload has expired or does not exist; upload the file again."))
    return folder / f"{token}.csv", folder / f"{token}.json"


def stash_upload(folder: Path, data: bytes, *, user: User, filename: str, fmt: str, now: datetime) -> str:
    """Keep an uploaded file under a random token (deleting uploads older than a day); return the token."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        if old.stat().st_mtime < (now - timedelta(hours=STASH_HOURS)).timestamp():
            old.unlink(missing_ok=True)
            old.with_suffix(".csv").unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    data_path, meta_path = _paths(folder, token)
    data_path.write_bytes(data)
    meta = {"user_id": user.id, "filename": Path(filename or "").name[:200], "format": fmt, "mapping": None,
            "uploaded_at": now.isoformat()}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return token


def read_stash(folder: Path, token: str, *, user: User) -> StashedUpload:
    """The upload kept under token, if this user made it; raise UploadExpired otherwise."""
    data_path, meta_path = _paths(folder, token)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
    except (OSError, ValueError) as e:
        raise UploadExpired(_("This upload has expired or does not exist; upload the file again.")) from e
    if meta.get("user_id") != user.id:
        raise UploadExpired(_("This upload has expired or does not exist; upload the file again."))
    return StashedUpload(token, data, meta)


def choose_mapping(folder: Path, stash: StashedUpload, mapping: dict[str, str]) -> None:
    """Remember the column mapping chosen for a kept upload."""
    _data_path, meta_path = _paths(folder, stash.token)
    stash.meta["mapping"] = {name: header for name, header in mapping.items() if header}
    stash.meta["format"] = "custom"
    meta_path.write_text(json.dumps(stash.meta), encoding="utf-8")


def drop_stash(folder: Path, token: str) -> None:
    """Delete a kept upload (after it was imported or abandoned)."""
    for path in _paths(folder, token):
        path.unlink(missing_ok=True)
