"""Page benchmark: CPU, wall time and SQL queries of the search page and the bite page, in-process.

Uses the site of N bites that bench/load.py builds and caches (real SQLite database, real Whoosh index,
bench/search.py's corpus, a transcript per call so bite pages show their words). On a fresh copy of it, signs in a
rep through the login form and times with the Flask test client a fixed mix of search pages (the same mixed queries
and facet filters as bench/load.py) and bite pages. Prints per kind p50/p95 of wall and CPU milliseconds
(time.process_time) and SQL queries per page.

With --baseline DIR (another source tree, e.g. the files before a change) it measures that tree too, in the
same run, alternating the two, and prints the ratio against it.

    nice .venv/bin/python bench/pages.py --bites 10000
    nice .venv/bin/python bench/pages.py --baseline /tmp/enable-before
    nice .venv/bin/python bench/pages.py --profile search
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = Path(os.environ.get("PAGES_BENCH_SOURCE") or REPO)  # the tree whose `enable` is measured
sys.path.insert(0, str(SOURCE))
if SOURCE != REPO:
    import enable  # noqa: F401  (from SOURCE, now: its submodules then come from there too)

    sys.path.insert(0, str(REPO))  # bench.* from this tree (the baseline's may predate what it needs)

from bench.load import (  # noqa: E402
    CSRF,
    PASSWORD,
    REP_EMAIL,
    app_settings,
    cached_site,
    link_transcripts,
    search_urls,
    site_env,
)
from bench.search import percentile  # noqa: E402
from bench.trees import alternate, run_child  # noqa: E402


def config(folder: Path) -> dict:
    """The settings of the site in folder, as bench/load.py runs it (SQLite, Whoosh)."""
    return app_settings(site_env(folder, f"sqlite:///{folder / 'data' / 'enable.db'}", "whoosh"))


def prepare(n: int) -> Path:
    """The cached site of n bites, shared with bench/load.py (built once)."""
    return cached_site("sqlite", "whoosh", n)


# Measuring one source tree (run in a child process) --------------------------------------------------------------


def measure(cached: Path, n_bites: int, searches: int, bites: int, profile: str | None) -> dict:
    """Time every page of the mix once on a fresh copy of the site; returns {kind: [(wall, cpu, queries)]}."""
    from flask_migrate import upgrade
    from sqlalchemy import event

    import enable
    from enable import create_app
    from enable.extensions import db

    assert Path(enable.__file__).is_relative_to(SOURCE), f"measuring {enable.__file__}, not {SOURCE}"
    work = Path(tempfile.mkdtemp(prefix="enable-pages-"))
    try:
        shutil.copytree(cached / "data", work / "data")
        link_transcripts(cached, work)
        app = create_app(config(work))
        with app.app_context():
            upgrade(directory=str(SOURCE / "migrations"))  # migrations added since the cache was built
            db.engine.dispose()
        queries = [0]
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a, **k: queries.__setitem__(0, queries[0] + 1))
        client = app.test_client()
        login = client.get("/auth/login")
        token = CSRF.search(login.get_data(as_text=True)).group(1)
        signed = client.post("/auth/login", data={"csrf_token": token, "email": REP_EMAIL, "password": PASSWORD})
        assert signed.status_code == 302, signed.status_code
        rnd = random.Random(5)
        mix = {"search": search_urls(searches),
               "bite": [f"/bites/{rnd.randint(1, n_bites)}" for _ in range(bites)]}
        for urls in mix.values():  # warm: the index opened, templates compiled, caches filled
            for url in urls[:5]:
                client.get(url)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
        out: dict[str, list] = {kind: [] for kind in mix}
        for kind, urls in mix.items():
            for url in urls:
                queries[0] = 0
                if profiler and kind == profile:
                    profiler.enable()
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                if profiler and kind == profile:
                    profiler.disable()
                if response.status_code != 200:
                    raise SystemExit(f"{url}: HTTP {response.status_code}")
                out[kind].append((wall * 1000, cpu * 1000, queries[0]))
        if profiler:
            import pstats

            stats = pstats.Stats(profiler, stream=sys.stderr).strip_dirs()
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


# Reporting --------------------------------------------------------------------------------------------------------


def summary(rows: list) -> dict[str, float]:
    wall, cpu, queries = ([r[i] for r in rows] for i in range(3))
    return {"wall50": percentile(wall, 50), "wall95": percentile(wall, 95), "cpu50": percentile(cpu, 50),
            "cpu95": percentile(cpu, 95), "cpu_mean": sum(cpu) / len(cpu), "q_mean": sum(queries) / len(queries),
            "q_max": max(queries)}


def print_table(title: str, results: dict[str, list]) -> dict[str, dict[str, float]]:
    print(f"\n{title}")
    print(f"  {'kind':8} {'pages':>5} {'wall p50':>9} {'wall p95':>9} {'cpu p50':>8} {'cpu p95':>8} {'cpu mean':>9} "
          f"{'queries':>8} {'max q':>6}")
    sums = {}
    for kind, rows in results.items():
        s = sums[kind] = summary(rows)
        print(f"  {kind:8} {len(rows):5d} {s['wall50']:9.1f} {s['wall95']:9.1f} {s['cpu50']:8.1f} {s['cpu95']:8.1f} "
              f"{s['cpu_mean']:9.1f} {s['q_mean']:8.1f} {s['q_max']:6d}")
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bites", type=int, default=10_000, help="bites in the site")
    parser.add_argument("--searches", type=int, default=100, help="search pages in the mix")
    parser.add_argument("--bite-pages", type=int, default=100, help="bite pages in the mix")
    parser.add_argument("--baseline", type=Path, help="another source tree to measure in the same run")
    parser.add_argument("--rounds", type=int, default=2, help="measurements of each tree, alternating")
    parser.add_argument("--profile", choices=("search", "bite"), help="cProfile this kind of page (to stderr)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    cached = prepare(args.bites)
    if args.child or args.profile:
        out = measure(cached, args.bites, args.searches, args.bite_pages, args.profile)
        if args.child:
            print(json.dumps(out))
        else:
            print_table(f"{SOURCE} (profiled: {args.profile})", out)
        return

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"{args.bites} bites, {args.searches} search pages and {args.bite_pages} bite pages per round")
    argv = ["--bites", str(args.bites), "--searches", str(args.searches), "--bite-pages", str(args.bite_pages)]
    trees, merged = alternate(REPO, args.baseline, args.rounds,
                              lambda source: run_child(Path(__file__).resolve(), source, "PAGES_BENCH_SOURCE", argv))
    sums = {name: print_table(f"{name} ({source})", merged[name]) for name, source in trees}
    if args.baseline:
        print("\nthis tree / baseline (CPU mean per page; queries per page)")
        for kind, now in sums["this tree"].items():
            before = sums["baseline"][kind]
            print(f"  {kind:8} cpu {now['cpu_mean']:6.1f} / {before['cpu_mean']:6.1f} ms = "
                  f"{now['cpu_mean'] / before['cpu_mean']:.2f}x   queries {now['q_mean']:.1f} / {before['q_mean']:.1f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
