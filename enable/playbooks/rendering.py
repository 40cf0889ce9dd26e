"""Playbook Markdown to safe HTML: sections, inline bite players, sanitising; and removing links from Markdown.

Raw HTML in Markdown is shown as text, never interpreted, and the HTML we produce is sanitised once more with nh3,
so a playbook cannot carry script, event handlers, javascript: or data: links, or images other than this
site's static files.

A link to a bite is written `/bites/<id>`, `/bites/<id>?t=<second>` or, in content files shared between installs
(where ids differ), `bite:<sample-slug>#<seq>`: the bite numbered <seq> (from 0) of the sample call <sample-slug>.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

BITE_REF = re.compile(r"^bite:(?P<slug>[a-z0-9][a-z0-9_-]{0,79})#(?P<seq>\d{1,5})$")
BITE_PATH = re.compile(r"^/bites/(?P<id>\d+)/?(?:\?(?P<query>[^#]*))?(?:#.*)?$")
MEDIA_SRC = re.compile(r"^/calls/\d+/media(?:#t=[0-9.]+(?:,[0-9.]+)?)?$")
STATIC_SRC = re.compile(r"^/static/[A-Za-z0-9_./-]+$")

_TAGS = (nh3.ALLOWED_TAGS - {"area", "map", "center", "acronym", "strike", "tt"}) | {"audio"}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "audio": {"controls", "preload", "src"},
    "h2": {"id"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "code": set(),
}
_CLASSES = {"span": {"bite-embed", "bite-missing"}, "div": {"bite-embeds"}, "code": {"language-text"}}
_SCHEMES = {"http", "https", "mailto"}


@dataclass(frozen=True)
class BiteRef:
    """A reference to a bite by id, or by sample call slug and position; t is the second to start at."""

    bite_id: int | None = None
    sample: str | None = None
    seq: int | None = None
    t: float | None = None


@dataclass(frozen=True)
class BiteEmbed:
    """What the renderer needs to show a bite inline."""

    page_url: str  # the bite page, e.g. /bites/12
    media_url: str  # the call's media, e.g. /calls/3/media
    start_s: float
    end_s: float
    title: str


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str


@dataclass(frozen=True)
class Rendered:
    html: str
    sections: list[Section]


BiteResolver = Callable[[BiteRef], BiteEmbed | None]


def parse_bite_ref(href: str) -> BiteRef | None:
    """The bite a link points to, or None when it is not a bite link."""
    href = href.strip()
    if m := BITE_REF.match(href):
        return BiteRef(sample=m["slug"], seq=int(m["seq"]))
    if m := BITE_PATH.match(href):
        t = None
        values = parse_qs(m["query"] or "").get("t")
        if values:
            try:
                t = max(0.0, float(values[0]))
            except ValueError:
                t = None
        return BiteRef(bite_id=int(m["id"]), t=t)
    return None


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


_MD = _markdown()


def _slug(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text, flags=re.UNICODE)
    return re.sub(r"[\s_-]+", "-", text).strip("-") or "section"


def _player_html(embed: BiteEmbed, t: float | None) -> str:
    start = embed.start_s if t is None else min(max(t, embed.start_s), embed.end_s)
    src = f"{embed.media_url}#t={start:.1f},{embed.end_s:.1f}"
    minutes, seconds = divmod(round(embed.end_s - embed.start_s), 60)
    # preload="metadata": the player shows its length and position before it is played (with "none" it read
    # 0:00 / 0:00 until then); the clip's own length is written beside it.
    return (f'<span class="bite-embed"><audio controls preload="metadata" src="{html.escape(src)}"></audio>'
            f'<a href="{html.escape(embed.page_url)}">{html.escape(embed.title)}</a> '
            f'({minutes}:{seconds:02d})</span>')


def _html_token(content: str) -> Token:
    token = Token("html_inline", "", 0)
    token.content = content
    return token


def _embed_bites(children: list[Token], resolve: BiteResolver) -> tuple[list[Token], list[str]]:
    """Point bite links at the bite page and return a player for each; unresolved ones become plain text."""
    out: list[Token] = []
    players: list[str] = []
    dropping = 0  # inside an unresolved bite link: keep its text, drop the link
    for token in children:
        if token.type == "link_open":
            ref = parse_bite_ref(str(token.attrGet("href") or ""))
            if ref is not None:
                embed = resolve(ref)
                if embed is None:
                    dropping += 1
                    out.append(_html_token('<span class="bite-missing">'))
                    continue
                suffix = f"?t={ref.t:g}" if ref.t is not None else ""
                token.attrSet("href", embed.page_url + suffix)
                players.append(_player_html(embed, ref.t))
        elif token.type == "link_close" and dropping:
            dropping -= 1
            out.append(_html_token("</span>"))
            continue
        out.append(token)
    return out, players


def _process(tokens: list[Token], resolve: BiteResolver) -> tuple[list[Token], list[Section]]:
    """Anchor the H2 sections and add bite players: after the paragraph that links them, else inline."""
    sections: list[Section] = []
    used: set[str] = set()
    out: list[Token] = []
    after_paragraph: list[str] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2" and i + 1 < len(tokens):
            title = tokens[i + 1].content.strip()
            base = anchor = "sec-" + _slug(title)
            n = 2
            while anchor in used:
                anchor, n = f"{base}-{n}", n + 1
            used.add(anchor)
            token.attrSet("id", anchor)
            sections.append(Section(anchor, title))
        if token.type == "inline" and token.children:
            token.children, players = _embed_bites(token.children, resolve)
            if i + 1 < len(tokens) and tokens[i + 1].type == "paragraph_close":
                after_paragraph += players
            else:  # a table cell or heading: the player goes where the link is
                token.children += [_html_token(p) for p in players]
        out.append(token)
        if token.type == "paragraph_close" and after_paragraph:
            block = Token("html_block", "", 0)
            block.content = '<div class="bite-embeds">' + "".join(after_paragraph) + "</div>\n"
            out.append(block)
            after_paragraph = []
    return out, sections


def _local_only(tag: str, attr: str, value: str) -> str | None:
    """nh3 attribute filter: media only from this site's recordings, images only from its static files. An image
    pointing at a page or a download (/bites/5, /assets/5/download) would fetch it for every reader, as that reader,
    so it is dropped."""
    if attr == "src":
        if tag == "audio":
            return value if MEDIA_SRC.match(value) else None
        return value if STATIC_SRC.match(value) and ".." not in value else None
    return value


def sanitize(fragment: str) -> str:
    """Sanitise an HTML fragment to the playbook allow-list."""
    return nh3.clean(fragment, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=_local_only,
                     url_schemes=_SCHEMES, allowed_classes=_CLASSES, link_rel="noopener noreferrer nofollow")


def render_markdown(body: str, resolve_bite: BiteResolver | None = None) -> Rendered:
    """Render Markdown to sanitised HTML with bite players and H2 section anchors."""
    tokens, sections = _process(_MD.parse(body or ""), resolve_bite or (lambda ref: None))
    return Rendered(sanitize(_MD.renderer.render(tokens, _MD.options, {})), sections)


# Removing links, keeping their text -------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[^\n]*$|\Z)", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_REF_DEF = re.compile(r"^ {0,3}\[(?P<label>[^\]\n]+)\]:[ \t]*<?(?P<dest>[^\s>]+)>?(?:[ \t]+(?:\"[^\"\n]*\"|'[^'\n]*'|"
                      r"\([^)\n]*\)))?[ \t]*(?:\n|$)", re.M)
_AUTOLINK = re.compile(r"<(?P<dest>[a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*|/[^\s<>]*)>")


def _code_spans(text: str) -> list[tuple[int, int]]:
    spans = [m.span() for m in _FENCE.finditer(text)]
    spans += [m.span() for m in _CODE_SPAN.finditer(text) if not any(a <= m.start() < b for a, b in spans)]
    return spans


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _link_text_start(text: str, close: int) -> int | None:
    """The index of the '[' opening the link text whose ']' is at `close`."""
    depth, i = 0, close - 1
    while i >= 0:
        ch = text[i]
        if ch == "]" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif ch == "[" and (i == 0 or text[i - 1] != "\\"):
            if depth == 0:
                return i
            depth -= 1
        i -= 1
    return None


def _inline_end(text: str, open_paren: int) -> tuple[str, int] | None:
    """The destination of an inline link whose '(' is at open_paren, and the index after its ')'."""
    i = open_paren + 1
    while i < len(text) and text[i] in " \t\n":
        i += 1
    if i < len(text) and text[i] == "<":
        close = text.find(">", i)
        if close == -1:
            return None
        dest, i = text[i + 1 : close], close + 1
    else:
        start, depth = i, 0
        while i < len(text) and text[i] not in " \t\n" and not (text[i] == ")" and depth == 0):
            depth += (text[i] == "(") - (text[i] == ")")
            i += 1
        dest = text[start:i]
    end = text.find(")", i)
    return (dest, end + 1) if end != -1 else None


def unlink(markdown: str, is_target: Callable[[str], bool]) -> tuple[str, int]:
    """Remove every link whose destination `is_target`, keeping the link text; return the text and the count."""
    count = 0
    labels: set[str] = set()
    spans = _code_spans(markdown)

    def drop_def(m: re.Match[str]) -> str:
        if _inside(m.start(), spans) or not is_target(m["dest"]):
            return m.group(0)
        labels.add(m["label"].strip().lower())
        return ""

    markdown = _REF_DEF.sub(drop_def, markdown)
    spans = _code_spans(markdown)
    out, last, i = [], 0, 0
    while (i := markdown.find("](", i)) != -1:
        start = _link_text_start(markdown, i)
        found = _inline_end(markdown, i + 1) if start is not None and not _inside(i, spans) else None
        if start is None or found is None or start < last:
            i += 2
            continue
        dest, end = found
        if is_target(dest):
            bang = start > 0 and markdown[start - 1] == "!"
            out += [markdown[last : start - bang], markdown[start + 1 : i]]
            last, count = end, count + 1
        i = end
    markdown = "".join([*out, markdown[last:]])
    if labels:
        markdown, n = _drop_reference_uses(markdown, labels)
        count += n

    def drop_auto(m: re.Match[str]) -> str:
        nonlocal count
        if _inside(m.start(), spans) or not is_target(m["dest"]):
            return m.group(0)
        count += 1
        return m["dest"]

    spans = _code_spans(markdown)
    return _AUTOLINK.sub(drop_auto, markdown), count


def _drop_reference_uses(markdown: str, labels: set[str]) -> tuple[str, int]:
    """Turn [text][label], [label][] and [label] uses of removed definitions into their text."""
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        text, label = m["text"], m["label"]
        key = (label if label else text).strip().lower()
        if key not in labels:
            return m.group(0)
        count += 1
        return text

    pattern = re.compile(r"(?<!\\)\[(?P<text>[^\[\]\n]+)\](?:\[(?P<label>[^\[\]\n]*)\])?(?![(:])")
    return pattern.sub(repl, markdown), count
