"""Loading the taxonomy from content files and reading it for tagging, hotwords and filters."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable.extensions import db
from enable.taxonomy.models import HOTWORD_KINDS, Tag, TagKind, TagPhrase
from enable.yamlfile import ContentError, Node, load_yaml, require

# The section names of content/taxonomy.yaml and the kind each one holds.
SECTIONS = {
    "stages": TagKind.STAGE,
    "negotiation_phases": TagKind.PHASE,
    "objections": TagKind.OBJECTION,
    "competitors": TagKind.COMPETITOR,
    "products": TagKind.PRODUCT,
    "personas": TagKind.PERSONA,
    "industries": TagKind.INDUSTRY,
    "topics": TagKind.TOPIC,
}
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


@dataclass
class LoadReport:
    """What a content load changed, per kind of item."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    # Items the content names that do not exist yet (kind -> names): accounts, bites of sample calls. Expected on a
    # fresh install, where `flask demo load` or the admin brings them later; each resolves once it exists.
    waiting: dict[str, set[str]] = field(default_factory=dict)

    def count(self, bucket: str, kind: str) -> None:
        counts = getattr(self, bucket)
        counts[kind] = counts.get(kind, 0) + 1

    def wait_for(self, kind: str, name: str) -> None:
        """Note an item the content names that does not exist yet ("accounts", "bites")."""
        self.waiting.setdefault(kind, set()).add(name)

    def merge(self, other: LoadReport) -> None:
        for bucket in ("created", "updated", "removed"):
            for kind, n in getattr(other, bucket).items():
                getattr(self, bucket)[kind] = getattr(self, bucket).get(kind, 0) + n
        for kind, names in other.waiting.items():
            self.waiting.setdefault(kind, set()).update(names)

    def waiting_summary(self) -> str | None:
        """One line naming what the content waits for, or None."""
        if not self.waiting:
            return None
        parts = [f"{len(names)} {kind} ({', '.join(sorted(names))})" for kind, names in sorted(self.waiting.items())]
        return ("waiting for " + "; ".join(parts) + ": what names them resolves once they exist (the sample calls' "
                "bites come with `flask demo load`; load again once the accounts exist)")

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def summary(self) -> str:
        parts = [f"{verb} {n} {kind}" for verb, bucket in (("created", self.created), ("updated", self.updated),
                                                           ("removed", self.removed)) for kind, n in bucket.items()]
        return ", ".join(parts) if parts else "no changes"


@dataclass(frozen=True)
class TagSpec:
    """One tag as the file describes it."""

    kind: TagKind
    key: str
    names: dict[str, str]
    description: str | None
    position: int
    phrases: tuple[tuple[str, str], ...]  # (language, phrase)


def parse_taxonomy(path: Path) -> list[TagSpec]:
    """Read and validate content/taxonomy.yaml; raise ContentError with file and line on any problem."""
    data = load_yaml(path)
    if not isinstance(data, Node):
        raise ContentError(path, 1, "the taxonomy must be a mapping of sections (stages, objections, ...)")
    specs: list[TagSpec] = []
    for section, items in data.items():
        if section not in SECTIONS:
            raise ContentError(path, data.line_of(section),
                               f"unknown section '{section}'; use one of: {', '.join(SECTIONS)}")
        if not isinstance(items, list):
            raise ContentError(path, data.line_of(section), f"'{section}' should be a list of items")
        seen: set[str] = set()
        for position, item in enumerate(items):
            specs.append(_parse_tag(path, SECTIONS[section], item, position, seen))
    return specs


def _parse_tag(path: Path, kind: TagKind, item: object, position: int, seen: set[str]) -> TagSpec:
    key = require(item, "key", path)
    assert isinstance(item, Node)
    if not KEY_RE.match(key):
        raise ContentError(path, item.line_of("key"),
                           f"key '{key}' should be lower-case letters, digits, '-' or '_' (at most 60)")
    if key in seen:
        raise ContentError(path, item.line_of("key"), f"key '{key}' appears twice in this section")
    seen.add(key)
    names = item.get("name", {"en": key})
    if isinstance(names, str):
        names = {"en": names}
    if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
        raise ContentError(path, item.line_of("name"), "'name' should be text or a mapping of language to text")
    phrases_node = item.get("phrases", {})
    if not isinstance(phrases_node, dict):
        raise ContentError(path, item.line_of("phrases"),
                           "'phrases' should map a language (en, ru) to a list of phrases")
    phrases: list[tuple[str, str]] = []
    for language, values in phrases_node.items():
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise ContentError(path, phrases_node.line_of(language) if isinstance(phrases_node, Node) else item.line,
                               f"phrases for '{language}' should be a list of non-empty texts")
        phrases.extend((str(language), v.strip()) for v in values)
    description = item.get("description")
    return TagSpec(kind, key, {str(k): v for k, v in names.items()},
                   description if isinstance(description, str) else None,
                   position, tuple(dict.fromkeys(phrases)))


def apply_taxonomy(specs: list[TagSpec]) -> LoadReport:
    """Make the tag tables match the specs: create, update in place, remove tags no longer listed."""
    report = LoadReport()
    existing = {(t.kind, t.key): t for t in db.session.scalars(select(Tag).options(selectinload(Tag.phrases)))}
    for spec in specs:
        tag = existing.pop((spec.kind, spec.key), None)
        if tag is None:
            tag = Tag(kind=spec.kind, key=spec.key)
            db.session.add(tag)
            report.count("created", "tags")
        elif _tag_differs(tag, spec):
            report.count("updated", "tags")
        tag.names, tag.description, tag.position = spec.names, spec.description, spec.position
        wanted = set(spec.phrases)
        tag.phrases = [p for p in tag.phrases if (p.language, p.phrase) in wanted] + [
            TagPhrase(language=lang, phrase=text) for lang, text in spec.phrases
            if (lang, text) not in {(p.language, p.phrase) for p in tag.phrases}
        ]
    for tag in existing.values():
        db.session.delete(tag)
        report.count("removed", "tags")
    db.session.flush()
    return report


def _tag_differs(tag: Tag, spec: TagSpec) -> bool:
    return (tag.names != spec.names or tag.description != spec.description or tag.position != spec.position
            or {(p.language, p.phrase) for p in tag.phrases} != set(spec.phrases))


def load_taxonomy(path: Path) -> LoadReport:
    """Load content/taxonomy.yaml into the database (idempotent)."""
    return apply_taxonomy(parse_taxonomy(path))


def tags_of_kind(kind: TagKind) -> list[Tag]:
    """The tags of one kind, in their file order."""
    return list(db.session.scalars(select(Tag).where(Tag.kind == kind).order_by(Tag.position, Tag.key)))


def by_kind(items: Iterable[Any], locale: str | None) -> list[tuple[TagKind, list[Any]]]:
    """Tags (or things holding one as `.tag`, such as a bite's tags) grouped by kind in the taxonomy's order of
    kinds, each group sorted by name in `locale`: the order every tag list and tag menu shows."""
    groups: dict[TagKind, list[Any]] = {}
    for item in items:
        tag = getattr(item, "tag", item)
        groups.setdefault(TagKind(tag.kind), []).append(item)

    def name(item: Any) -> tuple[str, str]:
        tag = getattr(item, "tag", item)
        return tag.name_in(locale).casefold(), tag.key

    return [(kind, sorted(groups[kind], key=name)) for kind in TagKind if kind in groups]


def all_tags() -> list[Tag]:
    """Every tag with its phrases, by kind and order."""
    return list(db.session.scalars(select(Tag).options(selectinload(Tag.phrases))
                                   .order_by(Tag.kind, Tag.position, Tag.key)))


def hotwords() -> list[str]:
    """Competitor and product names (and their phrases) to help the speech model spell them."""
    words: dict[str, None] = {}
    for tag in db.session.scalars(select(Tag).where(Tag.kind.in_(HOTWORD_KINDS)).options(selectinload(Tag.phrases))):
        for name in [tag.names.get("en"), *(p.phrase for p in tag.phrases)]:
            if name:
                words[name] = None
    return list(words)
