"""Benchmark: build a Whoosh index of N synthetic bites and time mixed queries with facet counts.

Runs the same corpus and queries through SQLite FTS5 (stdlib sqlite3) as a baseline.

    nice .venv/bin/python bench/search.py --n 100000 --queries 300
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from enable.search.index import TAG_KINDS, BiteDoc, SearchQuery  # noqa: E402

COMMON_EN = """
the i you to and a that it of we is in so for this have be it's what on with do
just but are not our can they yeah like if know think at right as or about was would
all there one your me get okay how now there's um uh well so really then go see will
going because from them more time want need when here an which us some out up also use
team data people sure make very work way any those had been good other could these
thing things maybe should look kind lot great yes no where by their much actually
""".split()
SALES_EN = """
price pricing budget cost contract renewal license seats users integration crm
salesforce hubspot onboarding implementation security compliance gdpr soc2 audit
pilot trial demo proposal discount quarter decision approval procurement legal
stakeholder champion roadmap feature dashboard report reporting analytics workflow
pipeline forecast quota revenue margin invoice payment terms annual monthly support
migration api export import spreadsheet excel rollout training adoption value roi
risk timeline deadline launch customers customer product platform vendor partner
requirements evaluation competitors competitor switch current existing solution
""".split()
RU = """
и в не что это мы на я с как да у вас нас нам по так но вот есть будет можно надо
цена цены цену бюджет бюджета договор лицензия интеграция внедрение поддержка срок
сроки квартал скидка руководством согласовать решение система клиенты отчет данные
дорого сейчас потом уже используем конкурент предложение пилот демо безопасность
""".split()
PHRASES_EN = [
    "too expensive", "no budget", "next quarter", "we already use", "not now",
    "I need to check with my boss", "the spreadsheet works fine", "we don't see the value",
    "never heard of you", "does it work with our CRM", "they offered us a discount",
]
PHRASES_RU = ["дорого", "нет бюджета", "не сейчас", "у нас уже есть", "надо согласовать с руководством"]
COMPETITORS = ["Gong", "Chorus", "Highspot", "Seismic", "Showpad", "Mindtickle"]
FACET_VALUES = {
    "objection": ["price", "timing", "competitor", "status_quo", "authority", "need", "trust",
                  "integration", "security", "contract"],
    "competitor": [c.lower() for c in COMPETITORS],
    "phase": ["before", "during", "after"],
    "persona": ["cfo", "cto", "it_admin", "head_of_sales", "end_user"],
    "product": ["core", "analytics", "coaching", "api"],
    "industry": ["saas", "retail", "finance", "manufacturing", "healthcare", "logistics",
                 "education", "telecom"],
    "topic": ["pricing", "security", "integration", "roadmap", "onboarding", "reporting",
              "migration", "support", "legal", "pilot", "training", "renewal"],
}
STAGES = ["prospecting", "discovery", "qualification", "demo", "proposal", "negotiation",
          "closing", "handoff"]
REPS = [f"Rep {i:02d}" for i in range(40)]
SYLLABLES = "ka ro mi te su na lo vi de pa ri co ban tel mor fin gra sto plu zen".split()


def _tail_words(rnd: random.Random, count: int) -> list[str]:
    words = set()
    while len(words) < count:
        words.add("".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(2, 4))))
    return sorted(words)


class Corpus:
    """Zipf-ish vocabulary sampler producing conversation-like bite texts."""

    def __init__(self, seed: int = 7) -> None:
        self.rnd = random.Random(seed)
        en = COMMON_EN + SALES_EN + _tail_words(self.rnd, 20000)
        ru = RU + [w + "ов" for w in _tail_words(self.rnd, 3000)]
        self.vocab = {"en": en, "ru": ru}
        self.weights = {
            lang: [1.0 / (rank + 1) ** 1.15 for rank in range(len(words))]
            for lang, words in self.vocab.items()
        }

    def text(self, lang: str, n_words: int) -> str:
        rnd = self.rnd
        words = rnd.choices(self.vocab[lang], self.weights[lang], k=n_words)
        phrases = PHRASES_RU if lang == "ru" else PHRASES_EN
        for _ in range(rnd.randint(0, 3)):
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(phrases))
        if rnd.random() < 0.3:
            words.insert(rnd.randrange(len(words) + 1), rnd.choice(COMPETITORS))
        out = []
        for i, word in enumerate(words):
            if i and rnd.random() < 0.08:
                out[-1] += rnd.choice((".", ".", "?", ","))
            out.append(word)
        return " ".join(out) + "."

    def doc(self, i: int) -> BiteDoc:
        rnd = self.rnd
        lang = "ru" if rnd.random() < 0.15 else "en"
        text = self.text(lang, rnd.randint(250, 350))
        tags = {}
        for kind, values in FACET_VALUES.items():
            k = {"objection": rnd.choice([0, 0, 1, 1, 2]), "competitor": rnd.choice([0, 0, 0, 1]),
                 "topic": rnd.randint(0, 3)}.get(kind, 1)
            if k:
                tags[kind] = rnd.sample(values, k)
        return BiteDoc(
            id=i + 1,
            call_id=i // 15 + 1,
            call_title=f"Call {i // 15 + 1} with {rnd.choice(COMPETITORS)} user",
            title=" ".join(text.split()[:10]),
            text=text,
            language=lang,
            rep=rnd.choice(REPS),
            team_id=rnd.randint(1, 5),
            stage=rnd.choice(STAGES),
            tags=tags,
            outcome=rnd.choice(["won", "lost", "open", "none"]),
            call_date=date(2023, 1, 1) + timedelta(days=rnd.randrange(800)),
            start_s=float(rnd.randrange(0, 3000)),
            end_s=0.0,
            is_best=rnd.random() < 0.05,
        )
