"""Benchmark: build a Whoosh index of N synthetic bites and time mixed queries with facet counts.

Runs the same corpus and queries through SQLite FTS5 (stdlib sqlite3) as a baseline.

    nice .venv/bin/python bench/search.py --n 100000 --queries 300
    nice .venv/bin/python bench/search.py --n 10000 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    nice .venv/bin/python bench/search.py --n 20000 --hybrid --skip-fts

``--hybrid``: the same queries through hybrid search (``enable.search.hybrid``: BM25 plus the nearest sentences,
fused) in the same run, against BM25 alone, with the memory it adds. Each bite gets ``--sentences`` sentence vectors
in the usearch sentence index; they are random unit vectors (embedding a synthetic library with the real model
would take days on this machine), which costs the index search the same as real ones. Queries are embedded by the
real model (EMBEDDING_MODEL's default), each text once as in a running app, and the cosine floor is off, so every
query's meaning side brings its 100 nearest sentences (what search reads): the most work it can do.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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


# CPU milliseconds per query of each engine's first run, for the CPU ratio (the machine is shared).
CPU_MS: dict[str, list[float]] = {}


def spread(ms: list[float]) -> str:
    """p50, p95 and p99 of a list of milliseconds."""
    return "  ".join(f"p{p} {percentile(ms, p):7.1f}" for p in (50, 95, 99))


def run_whoosh(
    docs: Callable[[], list[BiteDoc]], n: int, queries: list[SearchQuery], where: Path, reuse: bool = False
) -> tuple[float, list[float], list[int]]:
    """Build the index and time each query; returns build seconds, per-query ms and totals."""
    from enable.search.whoosh_backend import WhooshIndex

    index = WhooshIndex(where / "whoosh")
    started, cpu = time.perf_counter(), time.process_time()
    if reuse and index.count() == n:
        print("whoosh   reusing the index already built there (build figures are from the run that built it)")
        index.close()
        index = WhooshIndex(where / "whoosh")  # queried from a fresh instance, as a newly started app
        build = 0.0
    else:
        index.rebuild(docs())
        print(f"whoosh   build CPU {time.process_time() - cpu:8.1f} s (wall clock below; the CPU is shared)")
        build = time.perf_counter() - started
    size = sum(f.stat().st_size for f in (where / "whoosh").iterdir()) / 2**20
    print(f"whoosh   index size {size:8.1f} MB")
    t0, c0 = time.perf_counter(), time.process_time()
    index.search(SearchQuery(text="warm"))  # opens the searcher and fills the facet caches, as a running app would
    print(
        f"whoosh   open + warm caches: CPU {(time.process_time() - c0) * 1000:7.1f} ms  "
        f"wall {(time.perf_counter() - t0) * 1000:7.1f} ms (once per process and commit)"
    )
    for run in ("first", "repeat"):
        # first: each query's words are read from disk for the first time since the index opened;
        # repeat: the same queries again, as popular words would be in a running app.
        times, cpu_times, totals = [], [], []
        for q in queries:
            t0, c0 = time.perf_counter(), time.process_time()
            result = index.search(q)
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
            totals.append(result.total)
        print(f"whoosh   {run:6} run  CPU  ms {spread(cpu_times)}")
        print(f"whoosh   {run:6} run  wall ms {spread(times)}")
        if run == "first":
            cold = (times, totals)
            CPU_MS["whoosh"] = cpu_times
    return build, *cold


def rss_mb() -> float:
    """This process's resident memory, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_hybrid(n: int, sentences: int, queries: list[SearchQuery], where: Path, word_times: list[float]) -> None:
    """Hybrid search over the Whoosh index run_whoosh built, against its BM25 times of the same queries."""
    import numpy as np

    from enable.meaning.embedding import MODELS, get_embedder
    from enable.meaning.vector_index import SentenceIndex, SentenceRow
    from enable.search.hybrid import HybridSearch, Moment
    from enable.search.whoosh_backend import WhooshIndex

    model = "e5-small-q4"
    dim = MODELS[model].dim
    rnd = np.random.default_rng(5)
    before = rss_mb()
    started = time.perf_counter()
    index = SentenceIndex(where / "sentences", model, dim)

    def parts():
        for start in range(0, n, 1000):
            count = min(1000, n - start) * sentences
            vectors = rnd.standard_normal((count, dim), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            rows = [SentenceRow(start + k // sentences + 1, 0, 0.0, f"sentence {k % sentences} of bite")
                    for k in range(count)]
            yield rows, vectors

    total = index.rebuild(parts())
    size = sum(f.stat().st_size for f in (where / "sentences").rglob("*") if f.is_file()) / 2**20
    print(f"hybrid   sentence index: {total} sentences built in {time.perf_counter() - started:.1f} s, "
          f"{size:.1f} MB on disk")
    embedder = get_embedder(model)
    after_model = rss_mb()
    vectors: dict[str, np.ndarray] = {}
    embed_ms: list[float] = [0.0]

    def moments(text: str) -> list[Moment]:
        if text not in vectors:
            t0 = time.perf_counter()
            vectors[text] = embedder.embed([text])[0]
            embed_ms[0] += (time.perf_counter() - t0) * 1000
        return [Moment(s.bite_id, s.score, s.text, s.start_s) for s in index.nearest(vectors[text], 100)]

    words = WhooshIndex(where / "whoosh")  # a fresh instance, as a newly started web process
    hybrid = HybridSearch(words, moments)
    hybrid.search(SearchQuery(text="warm"))
    for run in ("first", "repeat"):
        times, without = [], []
        for q in queries:
            t0, embed_ms[0] = time.perf_counter(), 0.0
            hybrid.search(q)
            times.append((time.perf_counter() - t0) * 1000)
            without.append(times[-1] - embed_ms[0])
        print(f"hybrid   {run:6} run  wall ms {spread(times)}")
        if run == "first":
            first, first_without = times, without
            print(f"hybrid   first  run without embedding the query: wall ms {spread(without)}")
    with_text = [i for i, q in enumerate(queries) if q.text.strip() and q.sort != "date"]
    h95 = percentile([first[i] for i in with_text], 95)
    w95 = percentile([word_times[i] for i in with_text], 95)
    print(f"hybrid   p95 of queries with text (relevance): hybrid {h95:.1f} ms, BM25 {w95:.1f} ms: "
          f"ratio {h95 / w95:.2f} (target <= 1.5)")
    print(f"hybrid   the same without embedding the query (a query asked before): "
          f"{percentile([first_without[i] for i in with_text], 95):.1f} ms: ratio "
          f"{percentile([first_without[i] for i in with_text], 95) / w95:.2f}")
    print(f"hybrid   p95 of all queries: hybrid {percentile(first, 95):.1f} ms, BM25 {percentile(word_times, 95):.1f} "
          f"ms: ratio {percentile(first, 95) / percentile(word_times, 95):.2f}")
    print(f"hybrid   memory: +{after_model - before:.0f} MB (embedding model, index written), "
          f"+{rss_mb() - after_model:.0f} MB (sentence index read, queries); process {rss_mb():.0f} MB")


def run_postgres(docs: list[BiteDoc], queries: list[SearchQuery], url: str) -> tuple[float, list[float], list[int]]:
    """The same with the PostgreSQL backend, in a database of its own created at url's server and dropped after."""
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from enable.search.postgres_backend import PostgresIndex

    name = f"enable_bench_search_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(url).set(database=name))
    try:
        index = PostgresIndex(engine)
        index.create_schema()
        started, cpu = time.perf_counter(), time.process_time()
        index.rebuild(docs)
        build = time.perf_counter() - started
        print(f"postgres build CPU {time.process_time() - cpu:8.1f} s (this process; the server's CPU is not counted)")
        times, totals = [], []
        for q in queries:
            t0 = time.perf_counter()
            totals.append(index.search(q).total)
            times.append((time.perf_counter() - t0) * 1000)
        return build, times, totals
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


def run_fts5(
    docs: Callable[[], list[BiteDoc]], n: int, queries: list[SearchQuery], where: Path, reuse: bool = False
) -> tuple[float, list[float], list[int]]:
    """The same corpus and queries through SQLite FTS5 (porter stemming), facets by GROUP BY."""
    if reuse and _fts5_count(where) == n:
        print("fts5     reusing the database already built there")
        db = sqlite3.connect(where / "fts.db")
        return 0.0, *_time_fts5(db, queries)
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
    docs_ = docs()
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
                for d in docs_
            ],
        )
        db.executemany(
            "INSERT INTO bite_tag VALUES (?,?,?)", [(d.id, k, v) for d in docs_ for k, vs in d.tags.items() for v in vs]
        )
        db.executemany(
            "INSERT INTO fts(rowid, text, title, call_title) VALUES (?,?,?,?)",
            [(d.id, d.text, d.title, d.call_title) for d in docs_],
        )
        db.execute("CREATE INDEX ix_tag ON bite_tag(bite_id, kind, value)")
        for field in ("call_date", *SINGLE_FIELDS):
            db.execute(f"CREATE INDEX ix_{field} ON bite({field})")
    build = time.perf_counter() - started
    return build, *_time_fts5(db, queries)


def _fts5_count(where: Path) -> int | None:
    if not (where / "fts.db").exists():
        return None
    db = sqlite3.connect(where / "fts.db")
    try:
        return db.execute("SELECT COUNT(*) FROM bite").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        db.close()


def _time_fts5(db: sqlite3.Connection, queries: list[SearchQuery]) -> tuple[list[float], list[int]]:
    times, cpu_times, totals = [], [], []
    for q in queries:
        t0, c0 = time.perf_counter(), time.process_time()
        totals.append(_fts5_query(db, q))
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.process_time() - c0) * 1000)
    print(f"fts5     query  CPU  ms {spread(cpu_times)}")
    print(f"fts5     query  wall ms {spread(times)}")
    CPU_MS["fts5"] = cpu_times
    db.close()
    return times, totals


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
    """Print one engine's figures (wall clock)."""
    print(f"{name:8} build {build:8.1f} s   wall ms {spread(times)}   max {max(times):7.1f}")


def main() -> None:
    """Parse arguments, run both engines on the same corpus and queries, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of bites")
    parser.add_argument("--queries", type=int, default=300, help="number of queries (>= 200)")
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    parser.add_argument("--reuse", action="store_true", help="with --keep: query the index already built there")
    parser.add_argument("--skip-fts", action="store_true", help="skip the SQLite FTS5 baseline")
    parser.add_argument("--skip-whoosh", action="store_true", help="run only the SQLite FTS5 baseline")
    parser.add_argument("--hybrid", action="store_true", help="also time hybrid search (BM25 + meaning), same run")
    parser.add_argument("--sentences", type=int, default=5, help="with --hybrid: sentence vectors per bite")
    parser.add_argument("--postgres", metavar="URL",
                        help="also run the PostgreSQL backend (SEARCH_BACKEND=postgres) on this server, e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/postgres (a scratch database is made)")
    args = parser.parse_args()

    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    corpus = Corpus()
    queries = make_queries(corpus, args.queries)  # from the vocabulary only, so the corpus is made when needed
    generated: list[BiteDoc] = []

    def docs() -> list[BiteDoc]:
        if not generated:
            started = time.perf_counter()
            generated.extend(corpus.doc(i) for i in range(args.n))
            print(
                f"generated {args.n} bites in {time.perf_counter() - started:.1f} s "
                f"(~{statistics.mean(len(d.text.split()) for d in generated[:1000]):.0f} words each)"
            )
        return generated

    where = args.keep or Path(tempfile.mkdtemp(prefix="enable-bench-"))
    where.mkdir(parents=True, exist_ok=True)
    try:
        w_times: list[float] = []
        if not args.skip_whoosh:
            w_build, w_times, w_totals = run_whoosh(docs, args.n, queries, where, reuse=args.reuse)
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
            if args.hybrid:
                run_hybrid(args.n, args.sentences, queries, where, w_times)
        f_times: list[float] = []
        if not args.skip_fts:
            f_build, f_times, _ = run_fts5(docs, args.n, queries, where, reuse=args.reuse)
            report("fts5", f_build, f_times)
            if w_times:
                for what, w_ms, f_ms in (("wall", w_times, f_times), ("CPU ", CPU_MS["whoosh"], CPU_MS["fts5"])):
                    print(
                        f"ratio whoosh/fts5 ({what}, first run): "
                        f"p50 {percentile(w_ms, 50) / percentile(f_ms, 50):.2f}  "
                        f"p95 {percentile(w_ms, 95) / percentile(f_ms, 95):.2f}  "
                        f"p99 {percentile(w_ms, 99) / percentile(f_ms, 99):.2f}"
                    )
        if args.postgres:
            p_build, p_times, p_totals = run_postgres(docs(), queries, args.postgres)
            report("postgres", p_build, p_times)
            for name, other in (("whoosh", w_times), ("fts5", f_times)):
                if other:
                    print(f"ratio postgres/{name}: p50 {percentile(p_times, 50) / percentile(other, 50):.2f}  "
                          f"p95 {percentile(p_times, 95) / percentile(other, 95):.2f}")
            if w_times and p_totals != w_totals:
                differ = sum(a != b for a, b in zip(p_totals, w_totals, strict=True))
                print(f"WARNING: totals differ from Whoosh on {differ} queries")
    finally:
        print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not args.keep:
            shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main()
