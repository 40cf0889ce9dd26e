"""Playbook files: Markdown with a YAML front matter block, read and written in one normalised form.

    ---
    slug: discovery
    title: Discovery calls
    stage: discovery
    owner: enablement@example.test
    review_interval_days: 90
    ---
    The Markdown body...

Keys are written in that order (verifier after owner), absent ones left out; line endings are \\n and the file ends
with one newline. A file already in this form is written back byte for byte. `language: ru` (a BCP 47 tag, after
the title) is written only when it is not the site's default language, which a file without it is written in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from enable.i18n import language_tag
from enable.yamlfile import ContentError, Node, load_yaml_text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
KEYS = ("slug", "title", "language", "stage", "owner", "verifier", "review_interval_days")
MAX_REVIEW_DAYS = 3650


@dataclass(frozen=True)
class PlaybookFile:
    """One playbook as a file describes it."""

    slug: str
    title: str
    body: str
    stage: str | None = None
    owner: str | None = None  # email
    verifier: str | None = None  # email
    review_interval_days: int | None = None
    language: str | None = None  # a BCP 47 tag; None: the site's default language


def _split(text: str, path: Path | str) -> tuple[str, str]:
    """The front matter text and the body."""
    if not text.startswith("---\n"):
        raise ContentError(path, 1, "a playbook file starts with a '---' line, then its front matter (title, ...)")
    end = text.find("\n---\n", 3)
    if end == -1:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            raise ContentError(path, 1, "the front matter is not closed by a '---' line")
    return text[4 : end + 1], text[end + 5 :]


def _optional_text(node: Node, key: str, path: Path | str) -> str | None:
    value = node.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ContentError(path, node.line_of(key) + 1, f"'{key}' should be a text")
    return value.strip()


def parse_playbook(text: str, path: Path | str) -> PlaybookFile:
    """Read a playbook file's text; raise ContentError naming the file and line on any problem."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    head, body = _split(text, path)
    try:
        data = load_yaml_text(head, path) if head.strip() else None
    except ContentError as e:  # the front matter starts on the file's second line
        raise ContentError(path, e.line + 1 if e.line else None, e.why) from e
    if not isinstance(data, Node):
        raise ContentError(path, 2, "the front matter should be keys and values (title: ..., stage: ...)")
    for key in data:
        if key not in KEYS:
            raise ContentError(path, data.line_of(key) + 1, f"unknown key '{key}'; use: {', '.join(KEYS)}")
    title = _optional_text(data, "title", path)
    if title is None:
        raise ContentError(path, 2, "'title' is missing")
    slug = _optional_text(data, "slug", path) or Path(str(path)).stem
    if not SLUG_RE.match(slug):
        raise ContentError(path, data.line_of("slug") + 1,
                           f"slug '{slug}' should be lower-case letters, digits and '-' (at most 80)")
    interval = data.get("review_interval_days")
    if interval is not None and (not isinstance(interval, int) or isinstance(interval, bool)
                                 or not 1 <= interval <= MAX_REVIEW_DAYS):
        raise ContentError(path, data.line_of("review_interval_days") + 1,
                           f"'review_interval_days' should be a whole number of days from 1 to {MAX_REVIEW_DAYS}")
    language = _optional_text(data, "language", path)
    if language is not None:
        if language_tag(language) is None:
            raise ContentError(path, data.line_of("language") + 1,
                               f"'language' should be a language tag such as en, ru or pt-BR, not '{language}'")
        language = language_tag(language)
    body = body.rstrip("\n") + "\n" if body.strip() else ""
    return PlaybookFile(slug=slug, title=title, body=body, stage=_optional_text(data, "stage", path),
                        owner=_optional_text(data, "owner", path), verifier=_optional_text(data, "verifier", path),
                        review_interval_days=interval, language=language)


def read_playbook(path: Path) -> PlaybookFile:
    """Read and parse a playbook file (UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ContentError(path, None, "the file is not UTF-8 text") from e
    return parse_playbook(text, path)


def dump_playbook(item: PlaybookFile) -> str:
    """The normalised file text of a playbook."""
    values = {"slug": item.slug, "title": item.title, "language": item.language, "stage": item.stage,
              "owner": item.owner, "verifier": item.verifier, "review_interval_days": item.review_interval_days}
    head = yaml.safe_dump({k: v for k, v in values.items() if v is not None}, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=10_000)
    body = item.body.replace("\r\n", "\n")
    body = body.rstrip("\n") + "\n" if body.strip() else ""
    return f"---\n{head}---\n{body}"
