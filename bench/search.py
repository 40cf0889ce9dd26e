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

from enable.search.index import BiteDoc, SearchQuery  # noqa: E402

COMMON_EN = """
the i you to and a that it of we is in so for this have be it's what on with do
just but are not our can they yeah like if know think at right as or about was would
all there one your me get okay how now there's um uh well so really then go see will
going because from them more time want need when here an which us some out up also use
team data people sure make very work way any those had been good other could these
thing things maybe should look kind lot great yes no where by their much actually
""".split()  # noqa: SIM905
SALES_EN = """
price pricing budget cost contract renewal license seats users integration crm
salesforce hubspot onboarding implementation security compliance gdpr soc2 audit
pilot trial demo proposal discount quarter decision approval procurement legal
stakeholder champion roadmap feature dashboard report reporting analytics workflow
pipeline forecast quota revenue margin invoice payment terms annual monthly support
migration api export import spreadsheet excel rollout training adoption value roi
risk timeline deadline launch customers customer product platform vendor partner
requirements evaluation competitors competitor switch current existing solution
""".split()  # noqa: SIM905
RU = """
и в не что это мы на я с как да у вас нас нам по так но вот есть будет можно надо
цена цены цену бюджет бюджета договор лицензия интеграция внедрение поддержка срок
сроки квартал скидка руководством согласовать решение система клиенты отчет данные
дорого сейчас потом уже используем конкурент предложение пилот демо безопасность
""".split()  # noqa: SIM905
PHRASES_EN = [
    "too expensive",
    "no budget",
    "next quarter",
    "we already use",
    "not now",
    "I need to check with my boss",
    "the spreadsheet works fine",
    "we don't see the value",
    "never heard of you",
    "does it work with our CRM",
    "they offered us a discount",
]
PHRASES_RU = ["дорого", "нет бюджета", "не сейчас", "у нас уже есть", "надо согласовать с руководством"]
COMPETITORS = ["Gong", "Chorus", "Highspot", "Seismic", "Showpad", "Mindtickle"]
FACET_VALUES = {
    "objection": [
        "price",
        "timing",
        "competitor",
        "status_quo",
        "authority",
        "need",
        "trust",
        "integration",
        "security",
        "contract",
    ],
    "competitor": [c.lower() for c in COMPETITORS],
    "phase": ["before", "during", "after"],
    "persona": ["cfo", "cto", "it_admin", "head_of_sales", "end_user"],
    "product": ["core", "analytics", "coaching", "api"],
    "industry": ["saas", "retail", "finance", "manufacturing", "healthcare", "logistics", "education", "telecom"],
    "topic": [
        "pricing",
        "security",
        "integration",
        "roadmap",
        "onboarding",
        "reporting",
        "migration",
        "support",
        "legal",
        "pilot",
        "training",
        "renewal",
    ],
}
STAGES = ["prospecting", "discovery", "qualification", "demo", "proposal", "negotiation", "closing", "handoff"]
REPS = [f"Rep {i:02d}" for i in range(40)]
SYLLABLES = "ka ro mi te su na lo vi de pa ri co ban tel mor fin gra sto plu zen".split()  # noqa: SIM905


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
            lang: [1.0 / (rank + 1) ** 1.15 for rank in range(len(words))] for lang, words in self.vocab.items()
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
            k = {
                "objection": rnd.choice([0, 0, 1, 1, 2]),
                "competitor": rnd.choice([0, 0, 0, 1]),
                "topic": rnd.randint(0, 3),
            }.get(kind, 1)
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


QUERY_KINDS = [
    "word",
    "word",
    "word",
    "two",
    "phrase",
    "plain_phrase",
    "filtered",
    "filters_only",
    "field",
    "ru",
    "date",
]


def make_queries(corpus: Corpus, count: int, seed: int = 11) -> list[SearchQuery]:
    """A reproducible mix: words of every frequency, phrases, filters, field:value, date sorts."""
    rnd = random.Random(seed)
    en = corpus.vocab["en"]
    kinds = ["word", "word", "word", "two", "phrase", "plain_phrase", "filtered", "filters_only", "field", "ru", "date"]
    queries = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        band = rnd.choice([(0, 60), (60, 400), (400, 3000), (3000, len(en))])
        word = en[rnd.randrange(*band)]
        text, filters, sort, date_from = "", {}, "relevance", None
        if kind == "word":
            text = word
        elif kind == "two":
            text = f"{word} {rnd.choice(SALES_EN)}"
        elif kind == "phrase":
            text = f'"{rnd.choice(PHRASES_EN)}"'
        elif kind == "plain_phrase":
            text = rnd.choice(PHRASES_EN)
        elif kind == "ru":
            text = rnd.choice(PHRASES_RU + ["цены", "бюджет", "интеграция"])
        elif kind in ("filtered", "filters_only"):
            text = word if kind == "filtered" else ""
            for facet in rnd.sample(["objection", "stage", "outcome", "persona", "industry"], 2):
                values = FACET_VALUES.get(facet) or (STAGES if facet == "stage" else ["won", "lost"])
                filters[facet] = rnd.sample(values, rnd.randint(1, 2))
        elif kind == "field":
            text = f"objection:{rnd.choice(FACET_VALUES['objection'])} {rnd.choice(SALES_EN)}"
        elif kind == "date":
            text, sort = rnd.choice(SALES_EN), "date"
            date_from = date(2023, 1, 1) + timedelta(days=rnd.randrange(700))
        queries.append(SearchQuery(text=text, filters=filters, sort=sort, date_from=date_from))
    return queries


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run_whoosh(
    docs: list[BiteDoc], queries: list[SearchQuery], where: Path, reuse: bool = False
) -> tuple[float, list[float], list[int]]:
    """Build the index and time each query; returns build seconds, per-query ms and totals."""
    from enable.search.whoosh_backend import WhooshIndex

    index = WhooshIndex(where / "whoosh")
    started, cpu = time.perf_counter(), time.process_time()
    if reuse and index.count() == len(docs):
        print("whoosh   reusing the index already built there")
    else:
        index.rebuild(docs)
    build = time.perf_counter() - started
    print(f"whoosh   build CPU {time.process_time() - cpu:8.1f} s (wall clock below; other processes share the CPU)")
    index.search(SearchQuery(text="warm"))  # opens the searcher, as a running app would have
    for run in ("cold", "warm"):
        # cold: each query's words are read from disk for the first time since the index opened;
        # warm: the same queries again, as popular words would be in a running app.
        times, cpu_times, totals = [], [], []
        for q in queries:
            t0, c0 = time.perf_counter(), time.process_time()
            result = index.search(q)
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
            totals.append(result.total)
        cpu50, cpu95 = percentile(cpu_times, 50), percentile(cpu_times, 95)
        print(
            f"whoosh   {run} query CPU p50 {cpu50:7.1f} ms   p95 {cpu95:7.1f} ms"
            f"   wall p50 {percentile(times, 50):7.1f} ms   p95 {percentile(times, 95):7.1f} ms"
        )
        if run == "cold":
            cold = (times, totals)
    return build, *cold


SINGLE_FIELDS = ("stage", "rep", "outcome", "language", "team_id")


def _fts_expression(text: str) -> tuple[str, dict[str, list[str]]]:
    filters: dict[str, list[str]] = {}
    parts = []
    for token in text.replace('"', " ").split() if not text.startswith('"') else [text]:
        if ":" in token:
            field, value = token.split(":", 1)
            filters[field] = [value]
        else:
            parts.append(token if token.startswith('"') else f'"{token}"')
    return " ".join(parts), filters


def run_fts5(docs: list[BiteDoc], queries: list[SearchQuery], where: Path) -> tuple[float, list[float], list[int]]:
    """The same corpus and queries through SQLite FTS5 (porter stemming), facets by GROUP BY."""
    (where / "fts.db").unlink(missing_ok=True)
    db = sqlite3.connect(where / "fts.db")
    db.executescript(
        """
        CREATE TABLE bite(id INTEGER PRIMARY KEY, call_date TEXT, is_best INT,
                          stage TEXT, rep TEXT, outcome TEXT, language TEXT, team_id TEXT);
        CREATE TABLE bite_tag(bite_id INT, kind TEXT, value TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(text, title, call_title,
                                            tokenize = 'porter unicode61 remove_diacritics 2');
        """
    )
    started = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO bite VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    d.id,
                    d.call_date.isoformat() if d.call_date else None,
                    int(d.is_best),
                    d.stage,
                    d.rep,
                    d.outcome,
                    d.language,
                    str(d.team_id),
                )
                for d in docs
            ],
        )
        db.executemany(
            "INSERT INTO bite_tag VALUES (?,?,?)", [(d.id, k, v) for d in docs for k, vs in d.tags.items() for v in vs]
        )
        db.executemany(
            "INSERT INTO fts(rowid, text, title, call_title) VALUES (?,?,?,?)",
            [(d.id, d.text, d.title, d.call_title) for d in docs],
        )
        db.execute("CREATE INDEX ix_tag ON bite_tag(bite_id, kind, value)")
        for field in ("call_date", *SINGLE_FIELDS):
            db.execute(f"CREATE INDEX ix_{field} ON bite({field})")
    build = time.perf_counter() - started
    times, cpu_times, totals = [], [], []
    for q in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        totals.append(_fts5_query(db, q))
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
    print(f"fts5     query CPU p50 {percentile(cpu_times, 50):7.1f} ms   p95 {percentile(cpu_times, 95):7.1f} ms")
    db.close()
    return build, times, totals


def _fts5_query(db: sqlite3.Connection, q: SearchQuery) -> int:
    expression, typed = _fts_expression(q.text)
    where, args = [], []
    if expression:
        where.append("b.id IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
        args.append(expression)
    for field, values in {**q.filters, **typed}.items():
        marks = ",".join("?" * len(values))
        if field in SINGLE_FIELDS:
            where.append(f"b.{field} IN ({marks})")
        else:
            where.append(f"b.id IN (SELECT bite_id FROM bite_tag WHERE kind = ? AND value IN ({marks}))")
            args.append(field)
        args.extend(values)
    if q.date_from:
        where.append("b.call_date >= ?")
        args.append(q.date_from.isoformat())
    db.execute("DROP TABLE IF EXISTS temp.m")
    # A primary key on the matched ids lets the facet GROUP BY joins look rows up by id.
    db.execute("CREATE TEMP TABLE m(id INTEGER PRIMARY KEY, is_best INT, call_date TEXT)")
    condition = f"WHERE {' AND '.join(where)}" if where else ""
    db.execute(f"INSERT INTO m SELECT b.id, b.is_best, b.call_date FROM bite b {condition}", args)
    total = db.execute("SELECT COUNT(*) FROM m").fetchone()[0]
    if expression and q.sort == "relevance":
        db.execute(
            "SELECT fts.rowid, snippet(fts, 0, '<mark>', '</mark>', '…', 24) FROM fts JOIN m ON m.id = fts.rowid "
            "WHERE fts MATCH ? ORDER BY m.is_best DESC, bm25(fts) LIMIT 20",
            (expression,),
        ).fetchall()
    else:
        db.execute("SELECT id FROM m ORDER BY is_best DESC, call_date DESC LIMIT 20").fetchall()
    for field in SINGLE_FIELDS:
        db.execute(f"SELECT b.{field}, COUNT(*) FROM bite b JOIN m ON m.id = b.id GROUP BY 1").fetchall()
    db.execute("SELECT t.kind, t.value, COUNT(*) FROM bite_tag t JOIN m ON m.id = t.bite_id GROUP BY 1, 2").fetchall()
    return total


def report(name: str, build: float, times: list[float]) -> None:
    """Print one engine's figures."""
    print(
        f"{name:8} build {build:8.1f} s   p50 {percentile(times, 50):7.1f} ms   "
        f"p95 {percentile(times, 95):7.1f} ms   max {max(times):7.1f} ms"
    )


def main() -> None:
    """Parse arguments, run both engines on the same corpus and queries, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of bites")
    parser.add_argument("--queries", type=int, default=300, help="number of queries (>= 200)")
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    parser.add_argument("--reuse", action="store_true", help="with --keep: query the index already built there")
    parser.add_argument("--skip-fts", action="store_true", help="skip the SQLite FTS5 baseline")
    parser.add_argument("--skip-whoosh", action="store_true", help="run only the SQLite FTS5 baseline")
    args = parser.parse_args()

    corpus = Corpus()
    started = time.perf_counter()
    docs = [corpus.doc(i) for i in range(args.n)]
    print(
        f"generated {args.n} bites in {time.perf_counter() - started:.1f} s "
        f"(~{statistics.mean(len(d.text.split()) for d in docs[:1000]):.0f} words each)"
    )
    queries = make_queries(corpus, args.queries)
    where = args.keep or Path(tempfile.mkdtemp(prefix="enable-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    try:
        w_times: list[float] = []
        if not args.skip_whoosh:
            w_build, w_times, w_totals = run_whoosh(docs, queries, where, reuse=args.reuse)
            report("whoosh", w_build, w_times)
            print("   (wall clock of the cold run, by kind of query:)")
            by_kind: dict[str, list[float]] = {}
            for i, ms in enumerate(w_times):
                by_kind.setdefault(QUERY_KINDS[i % len(QUERY_KINDS)], []).append(ms)
            for kind, kind_times in by_kind.items():
                print(
                    f"   {kind:13} n={len(kind_times):3d}  p50 {percentile(kind_times, 50):7.1f} ms  "
                    f"p95 {percentile(kind_times, 95):7.1f} ms  max {max(kind_times):7.1f} ms"
                )
            slow = sorted(zip(w_times, queries, w_totals, strict=True), key=lambda t: -t[0])[:5]
            for ms, q, total in slow:
                print(f"   slowest {ms:6.1f} ms  total={total:6d}  text={q.text!r} filters={q.filters} sort={q.sort}")
        if not args.skip_fts:
            f_build, f_times, _ = run_fts5(docs, queries, where)
            report("fts5", f_build, f_times)
            if w_times:
                print(
                    f"ratio whoosh/fts5: p50 {percentile(w_times, 50) / percentile(f_times, 50):.2f}  "
                    f"p95 {percentile(w_times, 95) / percentile(f_times, 95):.2f}"
                )
    finally:
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
