"""@mentions in a comment's Markdown (no Flask): a person is mentioned by their handle, the part of their email
before the @ (`@anna.petrova`), or by their whole email when two people share that part (`@anna@example.com`).

An @ inside a word or an email address (`me@anna`) is no mention, nor one inside code (`code` or a fenced block);
a full stop or comma after the handle ends the sentence, not the handle. Handles compare without case.
"""

from __future__ import annotations

import re

# Any letters, Cyrillic included (иван@example.ru is @иван), as email addresses may have them.
MENTION = re.compile(r"(?<![\w@.+\-/])@(?P<handle>\w(?:[\w.+\-]*[\w+\-])?"
                     r"(?:@[\w\-]+(?:\.[\w\-]+)+)?)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[^\n]*$|\Z)", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)


def handle_of(email: str) -> str:
    """The handle people write after @ to mention the owner of `email`: the part before the @, lower case."""
    return email.split("@", 1)[0].lower()


def find_handles(body: str) -> list[str]:
    """The handles mentioned in `body`, lower case, each once, in the order first written."""
    text = _CODE_SPAN.sub(" ", _FENCE.sub("\n", body or ""))
    seen: dict[str, None] = {}
    for m in MENTION.finditer(text):
        seen.setdefault(m["handle"].lower(), None)
    return list(seen)
