"""Playbook Markdown renders to harmless HTML, with sections and inline bite players; links can be removed."""

from __future__ import annotations

import re

import pytest

from enable.playbooks.rendering import BiteEmbed, BiteRef, parse_bite_ref, render_markdown, unlink

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    '<a href="#" onclick="alert(1)">click</a>',
    '<div onmouseover="alert(1)">hover</div>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x73;cript:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](https://evil.example/track.png)",
    "![x](//evil.example/track.png)",
    "<iframe src='https://evil.example'></iframe>",
    "<style>body{display:none}</style>",
    "<form action='https://evil.example'><input name=p></form>",
    "[ref][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
]


def _tags_and_attrs(html: str) -> list[str]:
    """Every real tag in the output (text that merely looks like a tag is escaped, so it does not appear)."""
    return re.findall(r"<[a-zA-Z][^>]*>", html)


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_harmless(source):
    html = render_markdown(f"Before\n\n{source}\n\nAfter").html
    tags = " ".join(_tags_and_attrs(html)).lower()
    assert "<script" not in tags and "<iframe" not in tags and "<style" not in tags and "<form" not in tags
    assert not re.search(r"\son[a-z]+\s*=", tags), tags
    assert "javascript:" not in tags and "vbscript:" not in tags and "data:" not in tags
    assert "evil.example" not in tags
    assert "Before" in html and "After" in html


def test_raw_html_is_shown_as_text_not_run():
    html = render_markdown("Say <script>alert('hi')</script> out loud").html
    assert "&lt;script&gt;" in html
    assert "<script" not in html


def test_safe_markdown_keeps_its_structure():
    source = ("## Pricing\n\nText with **bold**, `code` and a [link](https://example.com/a?b=1).\n\n"
              "| a | b |\n|---|---|\n| 1 | 2 |\n\n![logo](/static/favicon.svg)\n\n[mail](mailto:sales@example.com)\n"
              "[playbook](/playbooks/3)\n")
    html = render_markdown(source).html
    assert '<h2 id="sec-pricing">Pricing</h2>' in html
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert 'href="https://example.com/a?b=1"' in html and 'href="mailto:sales@example.com"' in html
    assert 'href="/playbooks/3"' in html
    assert "<table>" in html and "<td>2</td>" in html
    assert 'src="/static/favicon.svg"' in html


def test_h2_headings_are_the_sections_with_unique_anchors():
    rendered = render_markdown("# Title\n\n## Open the call\n\ntext\n\n### detail\n\n## Цена и ценность\n\n"
                               "## Open the call\n")
    assert [(s.anchor, s.title) for s in rendered.sections] == [
        ("sec-open-the-call", "Open the call"), ("sec-цена-и-ценность", "Цена и ценность"),
        ("sec-open-the-call-2", "Open the call")]
    assert 'id="sec-open-the-call-2"' in rendered.html


def test_bite_links_get_an_inline_player_and_missing_ones_become_text():
    known = BiteEmbed(page_url="/bites/7", media_url="/calls/3/media", start_s=12.0, end_s=131.5,
                      title="Price <objection>")

    def resolve(ref: BiteRef) -> BiteEmbed | None:
        return known if ref.bite_id == 7 or (ref.sample, ref.seq) == ("negotiation-price", 0) else None

    html = render_markdown("Hear [this](/bites/7?t=40) and [that](bite:negotiation-price#0) but not "
                           "[gone](/bites/8).", resolve).html
    assert 'href="/bites/7?t=40"' in html
    assert '<audio controls="" preload="metadata" src="/calls/3/media#t=40.0,131.5"></audio>' in html
    assert 'src="/calls/3/media#t=12.0,131.5"' in html  # the sample reference starts at the bite's start
    assert "Price &lt;objection&gt;" in html  # the bite title is escaped
    assert '<span class="bite-missing">gone</span>' in html
    assert "bite:" not in html and "/bites/8" not in html
    # The players follow the paragraph, so the sentence reads on.
    assert html.index("</p>") < html.index('<div class="bite-embeds">') < html.index("<audio")


def test_parse_bite_ref_forms():
    assert parse_bite_ref("/bites/12") == BiteRef(bite_id=12)
    assert parse_bite_ref("/bites/12?t=30.5") == BiteRef(bite_id=12, t=30.5)
    assert parse_bite_ref("bite:closing-authority#2") == BiteRef(sample="closing-authority", seq=2)
    assert parse_bite_ref("/playbooks/12") is None
    assert parse_bite_ref("https://example.com/bites/12") is None


def test_unlink_keeps_text_and_leaves_other_links_and_code_alone():
    source = ("See [the clip](/bites/5?t=3) and ![alt](/bites/5) and [other](/bites/6).\n"
              "Also [ref use][clip] and [clip].\n\n"
              "`[in code](/bites/5)`\n\n"
              "```\n[fenced](/bites/5)\n```\n\n"
              "<https://keep.example/x>\n\n"
              "[clip]: /bites/5 \"title\"\n")
    text, count = unlink(source, lambda dest: dest.startswith("/bites/5"))
    assert count == 4
    assert "See the clip and alt and [other](/bites/6)." in text
    assert "Also ref use and clip." in text
    assert "`[in code](/bites/5)`" in text and "[fenced](/bites/5)" in text
    assert "[clip]:" not in text and "<https://keep.example/x>" in text
