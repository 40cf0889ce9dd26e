"""Benchmark: what lemmatising Russian words (analysis 3) adds to Snowball stemming alone (analysis 2).

Two figures, both taken in the same run:

1. Recall on the project's Russian samples (transcripts/samples/ru-*.txt and the Russian content in
   content/): for every word of a sample call, every form of its word (pymorphy3's lexeme: cases,
   genders, numbers, short forms, tenses) is a query; a query finds the call when its term is one
   of the call's terms. Counts of forms found, Snowball alone against lemma + Snowball.
2. The cost: CPU seconds to build a Whoosh index of N Russian bites with each analysis, every cache
   emptied before each build (the lemma cache then fills as a real rebuild's would).

    nice .venv/bin/python bench/lemmas.py --n 2000
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from enable import analysis  # noqa: E402
from enable.search.index import BiteDoc  # noqa: E402

_NEVER = re.compile(r"(?!)")


def _clear_caches() -> None:
    for fn in (analysis._normalize_token, analysis.stem, analysis.term_of, analysis.lemma):
        fn.cache_clear()


@contextmanager
def snowball_only() -> Iterator[None]:
    """Analysis 2: no Russian word is lemmatised (Snowball stems every Cyrillic token)."""
    saved = analysis._RUSSIAN_WORD
    analysis._RUSSIAN_WORD = _NEVER  # type: ignore[assignment]
    _clear_caches()
    try:
        yield
    finally:
        analysis._RUSSIAN_WORD = saved
        _clear_caches()


def sample_texts() -> dict[str, str]:
    """Each Russian sample call's text, by file name (speaker labels and comment lines dropped)."""
    texts = {}
    for path in sorted((ROOT / "transcripts" / "samples").glob("ru-*.txt")):
        lines = [ln.split(":", 1)[-1] for ln in path.read_text(encoding="utf-8").splitlines() if ln and ln[0] != "#"]
        texts[path.stem] = "\n".join(lines)
    return texts


def lexeme_forms(text: str) -> set[str]:
    """Every form of every Russian word of text (its lexeme in the dictionary)."""
    morph = analysis._morph()
    forms: set[str] = set()
    for word in set(re.findall(r"[а-яё]+", text.lower())):
        for form in morph.parse(word)[0].lexeme:
            forms.add(form.word)
    return forms


def recall(texts: dict[str, str]) -> tuple[int, int, list[str]]:
    """(forms found, forms asked, examples missed) over every sample call."""
    found = asked = 0
    missed: list[str] = []
    for text in texts.values():
        call_terms = set(analysis.terms(text))
        for form in sorted(lexeme_forms(text)):
            asked += 1
            if set(analysis.terms(form)) <= call_terms:
                found += 1
            elif len(missed) < 12:
                missed.append(form)
    return found, asked, missed


# The words of issue 23 and their neighbours, as a person would type them.
QUERIES = ["дорого", "дорогой", "дорогая", "дорогую", "дороже", "стоимость", "цена", "цену", "ценой", "бюджета",
           "бюджетом", "звонок", "звонков", "менеджера", "менеджерами", "договора", "договоры", "пришлю", "прислать",
           "отправить", "отправлю", "показал", "показать", "конкурента", "конкуренты", "квартала", "кварталом"]


def russian_documents() -> dict[str, str]:
    """The Russian sample calls and the Russian files of content/ (playbook, quiz, track), by name."""
    docs = {f"call {name}": text for name, text in sample_texts().items()}
    for path in sorted((ROOT / "content").rglob("*")):
        if path.is_file() and (path.stem.endswith("-ru") or path.stem in ("vozrazheniya", "pervaya-nedelya")):
            docs[f"content {path.name}"] = path.read_text(encoding="utf-8")
    return docs


def query_hits(docs: dict[str, str]) -> dict[str, int]:
    """For each query, how many of the documents it finds (every term of the query among the document's terms)."""
    doc_terms = {name: set(analysis.terms(text)) for name, text in docs.items()}
    return {q: sum(set(analysis.terms(q)) <= terms for terms in doc_terms.values()) for q in QUERIES}


def russian_docs(n: int, seed: int = 5) -> list[BiteDoc]:
    """n bites of about 300 words drawn from every form of the samples' and content's Russian words."""
    rnd = random.Random(seed)
    content = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "content").rglob("*") if p.is_file())
    pool = sorted(lexeme_forms("\n".join(sample_texts().values()) + content))
    docs = []
    for i in range(n):
        text = " ".join(rnd.choices(pool, k=rnd.randint(250, 350))) + "."
        docs.append(BiteDoc(id=i + 1, call_id=i // 15 + 1, call_title=f"Звонок {i // 15 + 1}", title=text[:60],
                            text=text, language="ru", call_date=date(2026, 1, 1), start_s=0.0, end_s=0.0))
    return docs, len(pool)  # type: ignore[return-value]


def build_cpu(docs: list[BiteDoc], where: Path) -> float:
    from enable.search.whoosh_backend import WhooshIndex

    shutil.rmtree(where, ignore_errors=True)
    index = WhooshIndex(where)
    cpu = time.process_time()
    index.rebuild(docs)
    spent = time.process_time() - cpu
    index.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of Russian bites to index")
    args = parser.parse_args()

    texts = sample_texts()
    analysis._morph()  # the dictionary's load is counted apart (once per process)
    with snowball_only():
        before = recall(texts)
    after = recall(texts)
    print(f"Russian sample calls: {', '.join(texts)}")
    for name, (found, asked, missed) in (("snowball (analysis 2)", before), ("lemma+snowball (3)", after)):
        print(f"recall {name:22} {found:5d} / {asked} word forms find their call ({found / asked:.1%})")
        print(f"    missed, e.g.: {' '.join(missed)}")

    documents = russian_documents()
    with snowball_only():
        hits_before = query_hits(documents)
    hits_after = query_hits(documents)
    print(f"queries over {len(documents)} Russian documents ({', '.join(documents)}): documents found")
    for q in QUERIES:
        print(f"    {q:14} snowball {hits_before[q]}   lemma+snowball {hits_after[q]}")
    print(f"    queries finding something: snowball {sum(1 for v in hits_before.values() if v)}/{len(QUERIES)}, "
          f"lemma+snowball {sum(1 for v in hits_after.values() if v)}/{len(QUERIES)}; documents found in all: "
          f"{sum(hits_before.values())} -> {sum(hits_after.values())}")

    docs, pool = russian_docs(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        build_cpu(docs[:50], Path(tmp) / "warm")  # imports and first-use costs, out of both figures
        with snowball_only():
            base = build_cpu(docs, Path(tmp) / "v2")
        _clear_caches()
        lem = build_cpu(docs, Path(tmp) / "v3")
    print(f"index build, {args.n} Russian bites, {pool} distinct word forms, CPU seconds (caches emptied):")
    print(f"    snowball {base:6.2f} s   lemma+snowball {lem:6.2f} s   ratio {lem / base:.2f}x")
    _clear_caches()
    cpu = time.process_time()
    analysis.terms(" ".join(sorted(set(" ".join(d.text for d in docs[:200]).split()))))
    print(f"    lemmatising every distinct form once (cold cache): {time.process_time() - cpu:.2f} s")


if __name__ == "__main__":
    main()
