"""Reopen benchmark: what a web process pays after each commit of the worker, on the 100,000-bite index.

Every commit (a processed call's bites) makes each web process open the new snapshot on its next search: its search
lock is held meanwhile, so every search of that process waits. On a copy of the Whoosh index of the site that
bench/load.py builds and caches, a "web" index is opened and warmed (the cold open: the same-run baseline), then a
"worker" index commits calls one at a time; after each, the web index reopens and warms, timed (CPU and wall).
Commits are grouped by what they did to the segments:

- add: a new small segment after the unchanged ones (the common case);
- merge: Whoosh merged small segments into one (now and then, by its merge policy);
- delete: a call processed again, its old bites deleted from the big segment (the segment's deletions change).

After each commit, 20 searches of bench/search.py's mix (each asked once, so none is answered from the result cache)
are timed too ("search"): what is left to compute after a reopen is paid there.

With --baseline DIR (another source tree, e.g. the files before a change) it measures that tree too, in the same
run, alternating the two, and prints the ratio against it.

    nice .venv/bin/python bench/reopen.py
    nice .venv/bin/python bench/reopen.py --baseline /tmp/enable-before --rounds 2
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = Path(os.environ.get("REOPEN_BENCH_SOURCE") or REPO)  # the tree whose `enable` is measured
sys.path.insert(0, str(SOURCE))
if SOURCE != REPO:
    import enable  # noqa: F401  (from SOURCE, now: its submodules then come from there too)

    sys.path.insert(0, str(REPO))  # bench.* from this tree

from bench.load import cached_site  # noqa: E402
from bench.search import Corpus, make_queries, percentile  # noqa: E402
from bench.trees import alternate, run_child  # noqa: E402

BITES_PER_CALL = 15  # as bench/search.py's corpus
KINDS = ("add", "merge", "delete")
SEARCHES_AFTER = 20  # searches of bench/search.py's mix timed after each commit (each a different one)


def measure(index_dir: Path, n_bites: int, commits: int) -> dict[str, list[tuple[float, float]]]:
    """Reopen times (wall ms, CPU ms) by kind of commit; "open" is the cold open and warm-up."""
    import enable
    from enable.search.index import SearchQuery
    from enable.search.whoosh_backend import WhooshIndex

    assert Path(enable.__file__).is_relative_to(SOURCE), f"measuring {enable.__file__}, not {SOURCE}"
    work = Path(tempfile.mkdtemp(prefix="enable-reopen-"))
    try:
        shutil.copytree(index_dir, work / "index")
        out: dict[str, list[tuple[float, float]]] = {"open": []}
        web = WhooshIndex(work / "index")
        out["open"].append(_timed(lambda: web.search(SearchQuery(text="pricing"))))
        worker = WhooshIndex(work / "index")
        corpus = Corpus(seed=99)
        queries = make_queries(Corpus(), commits * SEARCHES_AFTER)
        next_id = n_bites + 1
        for n in range(commits):
            before = _segment_ids(web)
            if n % 5 == 4:  # a call processed again: its bites replaced, the old ones deleted where they are
                call_id = 1 + (n * 397) % (n_bites // BITES_PER_CALL)
                docs = [_doc(corpus, next_id + i, call_id) for i in range(BITES_PER_CALL)]
                worker.replace_call(call_id, docs)
            else:
                call_id = n_bites // BITES_PER_CALL + 1 + n
                docs = [_doc(corpus, next_id + i, call_id) for i in range(BITES_PER_CALL)]
                worker.add(docs)
            next_id += BITES_PER_CALL
            timing = _timed(lambda: web.search(SearchQuery(text="pricing")))
            after = _segment_ids(web)
            kind = "delete" if n % 5 == 4 else ("merge" if not before <= after else "add")
            out.setdefault(kind, []).append(timing)
            for q in queries[n * SEARCHES_AFTER : (n + 1) * SEARCHES_AFTER]:  # what the next searches pay
                out.setdefault("search", []).append(_timed(lambda q=q: web.search(q)))
        web.close()
        worker.close()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _doc(corpus, bite_id: int, call_id: int):
    return dataclasses.replace(corpus.doc(bite_id - 1), id=bite_id, call_id=call_id)


def _segment_ids(ix) -> set[str]:
    return {r.segment().segment_id() for r, _ in ix._current().searcher.reader().leaf_readers()
            if r.segment() is not None}


def _timed(action) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def print_table(title: str, results: dict[str, list]) -> dict[str, float]:
    """Print one tree's figures; returns the CPU mean by kind."""
    print(f"\n{title}")
    print(f"  {'kind':8} {'count':>5} {'wall p50':>9} {'wall max':>9} {'cpu p50':>8} {'cpu p95':>8} {'cpu max':>8} "
          f"{'cpu mean':>9}")
    means = {}
    for kind in ("open", *KINDS, "search"):
        rows = results.get(kind, [])
        if not rows:
            continue
        wall, cpu = [r[0] for r in rows], [r[1] for r in rows]
        means[kind] = sum(cpu) / len(cpu)
        print(f"  {kind:8} {len(rows):5d} {percentile(wall, 50):9.1f} {max(wall):9.1f} {percentile(cpu, 50):8.1f} "
              f"{percentile(cpu, 95):8.1f} {max(cpu):8.1f} {means[kind]:9.1f}")
    for kind in KINDS:
        if kind in means:
            print(f"  {kind} / cold open (CPU mean): {means[kind] / means['open']:.3f}")
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bites", type=int, default=100_000, help="bites in the cached site (bench/load.py's)")
    parser.add_argument("--commits", type=int, default=40, help="calls committed, one at a time")
    parser.add_argument("--baseline", type=Path, help="another source tree to measure in the same run")
    parser.add_argument("--rounds", type=int, default=1, help="measurements of each tree, alternating")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    index_dir = cached_site("sqlite", "whoosh", args.bites) / "data" / "index"
    if args.child:
        print(json.dumps(measure(index_dir, args.bites, args.commits)))
        return
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores; "
          f"{args.bites} bites, {args.commits} commits of {BITES_PER_CALL} bites per round")
    argv = ["--bites", str(args.bites), "--commits", str(args.commits)]
    trees, merged = alternate(REPO, args.baseline, args.rounds,
                              lambda source: run_child(Path(__file__).resolve(), source, "REOPEN_BENCH_SOURCE", argv))
    means = {name: print_table(f"{name} ({source})", merged[name]) for name, source in trees}
    if args.baseline:
        print("\nthis tree / baseline (CPU mean of the web process's reopen, and of the searches after it)")
        for kind in ("open", *KINDS, "search"):
            now, before = means["this tree"].get(kind), means["baseline"].get(kind)
            if now is not None and before:
                print(f"  {kind:8} {now:7.1f} / {before:7.1f} ms = {now / before:.2f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
