"""Load benchmark: the site under gunicorn on loopback, 50 simulated reps and 10 simultaneous uploads.

Builds (once, cached under bench/.cache/ keyed by backend and size) a site with N bites made by bench/search.py's
corpus generator and a transcript per call, then on a fresh copy of it: starts gunicorn (gunicorn.conf.py, with its
defaults unless --web-workers or --threads say otherwise) and one `flask worker`; lets every web process serve each
kind of page (as on a site that has been running); signs in simulated users with a real session cookie and CSRF
token; measures one user alone searching (the baseline); then drives USERS reps for DURATION seconds (search pages
with mixed queries and facet filters, bite pages with their transcript, media range requests; the reps arrive over
one think time) while enablement leads, their upload form open, upload UPLOADS short real recordings at once. Prints
requests per second and p50/p95/p99 latency per kind of request, search latency per 10-second window, the time
gunicorn's request threads took per kind, every error, the CPU the web processes, the `flask worker` and the load
generator used (cores, ms per request), and waits until every upload is processed.

    nice .venv/bin/python bench/load.py --bites 10000
    nice .venv/bin/python bench/load.py --bites 100000 --backend postgres
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.search import Corpus, make_queries, percentile  # noqa: E402

CACHE = REPO / "bench" / ".cache"
AUDIO = REPO / "tests" / "data" / "audio"
MEDIA_SOURCE = AUDIO / "sales_dialogue.ogg"  # every synthetic call plays this real recording
UPLOAD_SOURCE = AUDIO / "short_en.ogg"  # what the enablement lead uploads (made unique per upload)
BITES_PER_CALL = 15  # as Corpus.doc numbers them
WORDS_PER_BITE = 300  # as build_site numbers the words of a bite (first_word = seq * 300)
WORDS_PER_SEGMENT = 20
PASSWORD = "load-bench-password-1"
REP_EMAIL, LEAD_EMAIL = "rep@load.bench", "lead@load.bench"
SECRET_KEY = "load-bench-secret-key-not-for-production"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_QUEUE = "redis://127.0.0.1:6379/13"
CLIENT_KEEPALIVE_S = 2.0  # below gunicorn.conf.py's keepalive = 5
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LOAD_AGENT = "enable-load-bench"  # the User-Agent of the simulated users during the load, found in the access log
# An access log line of gunicorn.conf.py: '... "GET /search/?q=x HTTP/1.1" 200 1234 45ms "-" "agent"'.
ACCESS_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" \d+ \S+ (?P<ms>\d+)ms "[^"]*" "(?P<agent>[^"]*)"')


# Building the site once -----------------------------------------------------------------------------------------


def _pg_admin(sql: str, *params: object) -> object:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        return cursor.fetchone() if cursor.description else None


def site_env(folder: Path, database_url: str, search: str) -> dict[str, str]:
    """The environment the site's processes run with: everything in `folder`, or PostgreSQL + Redis."""
    env = {**os.environ, "ENABLE_DATA_DIR": str(folder / "data"), "TRANSCRIPTS_DIR": str(folder / "transcripts"),
           "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "SEARCH_BACKEND": search}
    env.pop("QUEUE_URL", None)
    if database_url.startswith("postgresql"):
        env["QUEUE_URL"] = REDIS_QUEUE
    return env


def app_settings(env: dict[str, str]) -> dict:
    keys = ("ENABLE_DATA_DIR", "TRANSCRIPTS_DIR", "DATABASE_URL", "SECRET_KEY", "SEARCH_BACKEND", "QUEUE_URL")
    return {k: env[k] for k in keys if k in env}


def build_site(folder: Path, database_url: str, search: str, n: int) -> None:
    """Make a site of n bites in folder (and database_url): migrations, taxonomy, users, calls, bites, index."""
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select, text

    from enable import create_app
    from enable.auth.models import Role, Team, User
    from enable.auth.passwords import hash_password
    from enable.bites.models import Bite, BiteTag, TagSource
    from enable.calls.models import Call, CallStatus
    from enable.extensions import db
    from enable.search.indexing import get_index
    from enable.taxonomy.models import Tag
    from enable.taxonomy.services import load_taxonomy

    app = create_app(app_settings(site_env(folder, database_url, search)))
    corpus = Corpus()
    started = time.perf_counter()
    docs = [corpus.doc(i) for i in range(n)]
    print(f"  generated {n} bites in {time.perf_counter() - started:.0f} s")
    with app.app_context():
        upgrade(directory=str(REPO / "migrations"))
        load_taxonomy(REPO / "content" / "taxonomy.yaml")
        teams = [Team(id=i, name=f"Team {i}") for i in range(1, 6)]
        db.session.add_all(teams)
        db.session.commit()
        secret = hash_password(PASSWORD)
        db.session.add_all([
            User(email=REP_EMAIL, name="Load Rep", role=Role.REP, password_hash=secret, team_id=1),
            User(email=LEAD_EMAIL, name="Load Lead", role=Role.ENABLEMENT, password_hash=secret, team_id=1),
        ])
        reps = {name: User(email=f"rep{i:02d}@load.bench", name=name, role=Role.REP, password_hash=secret,
                           team_id=i % 5 + 1) for i, name in enumerate(sorted({d.rep for d in docs}))}
        db.session.add_all(reps.values())
        db.session.commit()
        rep_ids = {name: user.id for name, user in reps.items()}

        media = folder / "data" / "media" / "bench"
        media.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MEDIA_SOURCE, media / MEDIA_SOURCE.name)
        size = MEDIA_SOURCE.stat().st_size
        calls: dict[int, dict] = {}
        for d in docs:
            calls.setdefault(d.call_id, {
                "id": d.call_id, "title": d.call_title, "status": CallStatus.READY, "progress": 1.0,
                "sha256": f"{d.call_id:064x}", "media_path": f"bench/{MEDIA_SOURCE.name}",
                "original_filename": MEDIA_SOURCE.name, "content_type": "audio/ogg", "size_bytes": size,
                "duration_s": 3600.0, "channels": 1, "language": d.language, "detected_language": d.language,
                "stage": d.stage, "call_date": d.call_date, "rep_id": rep_ids[d.rep], "team_id": d.team_id,
                "stats": {},
            })
        tag_ids = {(t.kind.value, t.key): t.id for t in db.session.scalars(select(Tag))}
        bites, bite_tags = [], []
        for d in docs:
            seq = (d.id - 1) % BITES_PER_CALL
            bites.append({"id": d.id, "call_id": d.call_id, "seq": seq, "start_s": seq * 120.0,
                          "end_s": seq * 120.0 + 110.0, "first_word": seq * 300, "last_word": seq * 300 + 299,
                          "title": d.title[:200], "text": d.text, "speakers": [], "language": d.language,
                          "is_best": d.is_best})
            for kind, keys in {**d.tags, "stage": [d.stage]}.items():
                for key in keys:
                    tag_id = tag_ids.get((kind, key)) or tag_ids.get((kind, key.replace("_", "-")))
                    if tag_id:
                        bite_tags.append({"bite_id": d.id, "tag_id": tag_id, "source": TagSource.DETECTED})
        for table, rows in ((Call, list(calls.values())), (Bite, bites), (BiteTag, bite_tags)):
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(table), rows[start : start + 5000])
            db.session.commit()
        if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("team", "user", "call", "bite", "bite_tag"):
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                        f"(SELECT max(id) FROM \"{table}\"))"))
            db.session.commit()
        print(f"  database: {len(calls)} calls, {db.session.scalar(select(func.count(Bite.id)))} bites, "
              f"{len(bite_tags)} tags in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        get_index().rebuild(docs)
        print(f"  search index ({search}) of {get_index().count()} bites built in "
              f"{time.perf_counter() - started:.0f} s")
        db.session.remove()
        db.engine.dispose()


def write_transcripts(folder: Path, n: int) -> None:
    """A transcript per call made of its bites' words, at the times build_site gives the bites, so that bite pages
    read and show their words as on a real site."""
    from enable.transcription.store import TranscriptStore
    from enable.transcription.types import Segment, Transcript, Word

    corpus = Corpus()
    store = TranscriptStore(folder / "transcripts")
    calls: dict[int, list] = {}
    for i in range(n):
        d = corpus.doc(i)
        calls.setdefault(d.call_id, []).append(d)
    for call_id, docs in calls.items():
        segments = []
        for d in docs:
            seq = (d.id - 1) % BITES_PER_CALL
            words = (d.text.split() * 2)[:WORDS_PER_BITE]
            step = 110.0 / WORDS_PER_BITE
            for s in range(0, WORDS_PER_BITE, WORDS_PER_SEGMENT):
                speaker = "rep" if (s // WORDS_PER_SEGMENT) % 2 == 0 else "customer"
                ws = [Word(seq * 120.0 + k * step, seq * 120.0 + (k + 0.8) * step, " " + words[k], 0.9, speaker)
                      for k in range(s, s + WORDS_PER_SEGMENT)]
                segments.append(Segment(ws[0].start, ws[-1].end, "".join(w.text for w in ws), speaker, ws))
        store.write(call_id, Transcript(language=docs[0].language, duration_s=3600.0, model="bench",
                                        channels=2, speakers=["rep", "customer"], segments=segments))


def with_transcripts(cached: Path, n: int) -> None:
    """Give a cached site its transcripts, once (sites cached before they were part of it have none)."""
    if not (cached / "transcripts" / "written").exists():
        print(f"writing the transcripts of {n} bites in {cached} (once)", flush=True)
        started = time.perf_counter()
        shutil.rmtree(cached / "transcripts", ignore_errors=True)
        write_transcripts(cached, n)
        (cached / "transcripts" / "written").write_text("ok")
        print(f"  transcripts written in {time.perf_counter() - started:.0f} s", flush=True)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system (a tmpfs /tmp)
        shutil.copy2(source, target)


def link_transcripts(cached: Path, work: Path) -> None:
    """The cached transcripts in a working copy as hard links where they can be: instant, and safe because the store
    replaces a file (a new one renamed over it) rather than writing into it."""
    shutil.copytree(cached / "transcripts", work / "transcripts", copy_function=_link_or_copy)


def _pg_cached(search: str, n: int) -> str:
    return f"enable_load_{search}_{n}"


def cached_site(backend: str, search: str, n: int) -> Path:
    """The site of n bites cached under bench/.cache (built once, with its transcripts); bench/pages.py uses it too."""
    cached = CACHE / f"{backend}-{search}-{n}"
    pg_cached = _pg_cached(search, n)
    if backend == "postgres" and not _pg_admin("SELECT 1 FROM pg_database WHERE datname = %s", pg_cached):
        (cached / "built").unlink(missing_ok=True)  # the cached database was dropped: build again
    if not (cached / "built").exists():
        print(f"building the site of {n} bites in {cached} (once; later runs reuse it)", flush=True)
        shutil.rmtree(cached, ignore_errors=True)
        cached.mkdir(parents=True)
        url = f"sqlite:///{cached / 'data' / 'enable.db'}"
        if backend == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {pg_cached}")
            _pg_admin(f"CREATE DATABASE {pg_cached}")
            url = f"{PG_SERVER}/{pg_cached}"
        build_site(cached, url, search, n)
        (cached / "built").write_text(url)
    with_transcripts(cached, n)
    return cached


def prepare(args: argparse.Namespace) -> tuple[Path, str, list[str]]:
    """A fresh working copy of the cached site; returns (folder, DATABASE_URL, things to clean up)."""
    cached = cached_site(args.backend, args.search, args.bites)
    work = Path(tempfile.mkdtemp(prefix="enable-load-"))
    started = time.perf_counter()
    shutil.copytree(cached / "data", work / "data")
    link_transcripts(cached, work)
    cleanup = [str(work)]
    if args.backend == "postgres":
        run_db = f"enable_load_run_{os.getpid()}"
        _pg_admin(f"CREATE DATABASE {run_db} TEMPLATE {_pg_cached(args.search, args.bites)}")
        cleanup.append(run_db)
        url = f"{PG_SERVER}/{run_db}"
    else:
        url = f"sqlite:///{work / 'data' / 'enable.db'}"
    # Migrations added since the cache was built apply to the copy, as they would on a running site.
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=args.source, check=True,
                   env=site_env(work, url, args.search), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The copy's gigabyte and more is written to disk now, not while the uploads' fsync waits for the disk.
    os.sync()
    print(f"working copy in {work} ({time.perf_counter() - started:.1f} s)")
    return work, url, cleanup


# Running the site ------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _gunicorn_env(web_workers: int | None, threads: int | None) -> dict[str, str]:
    """The settings gunicorn.conf.py reads for these counts (None: its own default)."""
    return {name: str(value) for name, value in (("WEB_CONCURRENCY", web_workers), ("GUNICORN_THREADS", threads))
            if value is not None}


def gunicorn_settings(web_workers: int | None, threads: int | None, source: Path = REPO) -> tuple[int, int]:
    """(worker processes, threads per process) that source's gunicorn.conf.py gives with these counts."""
    saved = dict(os.environ)
    os.environ.update(_gunicorn_env(web_workers, threads))
    try:
        settings = runpy.run_path(str(source / "gunicorn.conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return settings["workers"], settings["threads"]


def start_site(work: Path, env: dict[str, str], web_workers: int | None, threads: int | None,
               source: Path = REPO) -> tuple[str, list[subprocess.Popen]]:
    """gunicorn on a free loopback port and one `flask worker`, run from source; returns the base URL and the
    processes."""
    port = _free_port()
    web_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", **_gunicorn_env(web_workers, threads)}
    bin_dir = Path(sys.executable).parent
    if "QUEUE_URL" in env:
        import redis

        redis.Redis.from_url(env["QUEUE_URL"]).flushdb()
    web = subprocess.Popen([str(bin_dir / "gunicorn"), "-c", str(source / "gunicorn.conf.py"), "wsgi:app"],
                           cwd=source, env=web_env, stdout=(work / "access.log").open("w"),
                           stderr=(work / "gunicorn.log").open("w"))
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--no-periodic"],
                              cwd=source, env=env, stdout=(work / "worker.log").open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if web.poll() is not None:
            sys.exit(f"gunicorn exited:\n{(work / 'gunicorn.log').read_text()}")
        try:
            if httpx.get(f"{base}/auth/login", timeout=5).status_code == 200:
                return base, [web, worker]
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer within 120 s")


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by a process and each of its children still running, by pid."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            used[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return used


def stop(processes: list[subprocess.Popen]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# Simulated users ------------------------------------------------------------------------------------------------


@dataclass
class Stats:
    """Latencies (ms) per kind of request and every error, shared by the user threads."""

    started: list[tuple[float, str, float]] = field(default_factory=list)  # (monotonic start, kind, ms)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    uploads_accepted: int = 0

    @property
    def times(self) -> dict[str, list[float]]:
        """Latencies (ms) by kind of request."""
        by_kind: dict[str, list[float]] = defaultdict(list)
        for _, kind, ms in self.started:
            by_kind[kind].append(ms)
        return by_kind

    def request(self, client: httpx.Client, kind: str, method: str, url: str, expect: tuple[int, ...],
                **kwargs) -> httpx.Response | None:
        started, at = time.perf_counter(), time.monotonic()
        try:
            response = client.request(method, url, **kwargs)
        except httpx.HTTPError as e:
            with self.lock:
                self.errors.append(f"{kind} {method} {url}: {type(e).__name__}: {e}")
            return None
        ms = (time.perf_counter() - started) * 1000
        with self.lock:
            self.started.append((at, kind, ms))
            if response.status_code not in expect:
                self.errors.append(f"{kind} {method} {url}: HTTP {response.status_code} {response.text[:200]!r}")
        return response


def sign_in(base: str, email: str, stats: Stats, keepalive_s: float = CLIENT_KEEPALIVE_S) -> httpx.Client:
    """A client holding a real session cookie, signed in through the login form with its CSRF token."""
    # Idle connections are dropped before gunicorn's `keepalive` (5 s) closes them, as a browser or proxy set up
    # for this server would: reusing a connection the server is closing at that moment ends in a reset.
    client = httpx.Client(base_url=base, timeout=120, follow_redirects=False, headers={"User-Agent": "enable-bench"},
                          limits=httpx.Limits(keepalive_expiry=keepalive_s or None,
                                              max_keepalive_connections=None if keepalive_s else 0))
    page = stats.request(client, "login", "GET", "/auth/login", (200,))
    token = CSRF.search(page.text).group(1) if page is not None else ""
    stats.request(client, "login", "POST", "/auth/login", (302,),
                  data={"csrf_token": token, "email": email, "password": PASSWORD})
    return client


def search_urls(n: int) -> list[str]:
    from enable.search.forms import search_args

    return [f"/search/?{urlencode(list(search_args(q).items(multi=True)))}" for q in make_queries(Corpus(), n)]


@cache
def _media_size() -> int:
    return MEDIA_SOURCE.stat().st_size


def visit(client: httpx.Client, stats: Stats, rnd: random.Random, kind: str, urls: list[str], n_bites: int) -> None:
    """One request of a rep: a search page, a bite page, or a range of a call's recording (as a player asks)."""
    if kind == "search":
        stats.request(client, "search", "GET", rnd.choice(urls), (200,))
    elif kind == "bite":
        stats.request(client, "bite", "GET", f"/bites/{rnd.randint(1, n_bites)}", (200,))
    else:
        start = rnd.randrange(0, max(1, _media_size() - 65536))
        stats.request(client, "media", "GET", f"/calls/{rnd.randint(1, max(1, n_bites // BITES_PER_CALL))}/media",
                      (206,), headers={"Range": f"bytes={start}-{start + 65535}"})


def browse(client: httpx.Client, stats: Stats, urls: list[str], n_bites: int, stop_at: float, think: float,
           seed: int) -> None:
    """One rep until stop_at: half search pages, then bite pages and media range requests, with think time."""
    rnd = random.Random(seed)
    # Reps arrive over one think time, as people do, not all in the same millisecond (the uploads do start together).
    time.sleep(rnd.uniform(0, think))
    while time.monotonic() < stop_at:
        roll = rnd.random()
        visit(client, stats, rnd, "search" if roll < 0.5 else "bite" if roll < 0.8 else "media", urls, n_bites)
        if think:
            time.sleep(rnd.uniform(0.5 * think, 1.5 * think))


def warm_up(base: str, urls: list[str], n_bites: int, web_processes: int, rounds: int = 6) -> None:
    """Let every web process serve each kind of page before anything is measured (templates compiled, caches
    filled), as on a site that has been running: as many users at once as there are processes, each on a new
    connection per request, so that the requests spread over the processes (a kept-alive connection stays with the
    process that accepted it)."""
    stats = Stats()
    clients = [sign_in(base, REP_EMAIL, stats, keepalive_s=0) for _ in range(web_processes)]

    def run(client: httpx.Client, seed: int) -> None:
        rnd = random.Random(1000 + seed)
        for _ in range(rounds):
            for kind in ("search", "bite", "media"):
                visit(client, stats, rnd, kind, urls, n_bites)

    threads = [threading.Thread(target=run, args=(c, i)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    if stats.errors:
        sys.exit("warming up failed:\n" + "\n".join(stats.errors[:10]))


def upload_files(work: Path, count: int) -> list[Path]:
    """count copies of the short recording, each padded differently so that none is a duplicate upload."""
    out = work / "uploads"
    out.mkdir()
    files = []
    for i in range(count):
        path = out / f"upload-{i:02d}.ogg"
        subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", str(UPLOAD_SOURCE), "-af",
                        f"apad=pad_dur={0.2 + 0.1 * i:.1f}", "-c:a", "libvorbis", str(path)], check=True)
        files.append(path)
    return files


def upload_form_token(client: httpx.Client, stats: Stats) -> str:
    """Open the upload form, as an enablement lead does before choosing files; returns its CSRF token."""
    page = stats.request(client, "upload form", "GET", "/calls/upload", (200,))
    return CSRF.search(page.text).group(1) if page is not None else ""


def upload(client: httpx.Client, token: str, stats: Stats, path: Path, barrier: threading.Barrier) -> None:
    """Wait for the other leads, then upload one recording through the form."""
    barrier.wait()
    with path.open("rb") as fh:
        response = stats.request(client, "upload", "POST", "/calls/upload", (302,),
                                 data={"csrf_token": token, "title": f"Load bench {path.stem}", "stage": "discovery",
                                       "rep": "", "deal": "", "language": "en", "call_date": ""},
                                 files={"files": (path.name, fh, "audio/ogg")})
    if response is not None and response.status_code == 302:
        with stats.lock:
            stats.uploads_accepted += 1


def curate(client: httpx.Client, token: str, stats: Stats, n_bites: int, stop_at: float, every: float) -> None:
    """An enablement lead marking a random bite as a best example every `every` seconds, through the bite page's
    form: each is a commit that deletes and adds one bite in the index, most likely in its biggest segment."""
    rnd = random.Random(77)
    time.sleep(rnd.uniform(0, every))
    while time.monotonic() < stop_at:
        stats.request(client, "edit", "POST", f"/bites/{rnd.randint(1, n_bites)}/best", (302,),
                      data={"csrf_token": token, "best": "1"})
        time.sleep(every)


def report(stats: Stats, seconds: float, title: str) -> None:
    print(f"\n{title}")
    print(f"  {'kind':12} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    total = 0
    for kind, times in sorted(stats.times.items()):
        total += len(times)
        print(f"  {kind:12} {len(times):8d} {len(times) / seconds:7.1f} {percentile(times, 50):8.1f} "
              f"{percentile(times, 95):8.1f} {percentile(times, 99):8.1f} {max(times):8.1f}")
    print(f"  {'all':12} {total:8d} {total / seconds:7.1f}")
    print(f"  errors: {len(stats.errors)}")
    for error in stats.errors[:50]:
        print(f"    {error}")
    if len(stats.errors) > 50:
        print(f"    ... and {len(stats.errors) - 50} more")


def request_kind(method: str, path: str) -> str:
    """The kind of request (as the simulated users name theirs) of an access log line."""
    if path.startswith("/search/"):
        return "search"
    if path.startswith("/auth/login"):
        return "login"
    if path.startswith("/bites/"):
        return "edit" if method == "POST" else "bite"
    if path.startswith("/calls/upload"):
        return "upload" if method == "POST" else "upload form"
    if path.startswith("/calls/") and path.endswith("/media"):
        return "media"
    return "other"


def report_server_times(access_log: Path, agent: str) -> None:
    """Latency per kind of request as gunicorn measured it (from a thread taking the request to its response, the
    interpreter lock included): the rest of what the users measured was spent queued for a process or a thread, or
    in the load generator."""
    by_kind: dict[str, list[float]] = defaultdict(list)
    for line in access_log.read_text(errors="replace").splitlines():
        m = ACCESS_LINE.search(line)
        if m and m["agent"] == agent:
            by_kind[request_kind(m["method"], m["path"])].append(float(m["ms"]))
    print("\n  time inside gunicorn's request threads (its access log, whole ms)")
    print(f"  {'kind':12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, times in sorted(by_kind.items()):
        print(f"  {kind:12} {len(times):8d} {percentile(times, 50):8.0f} {percentile(times, 95):8.0f} "
              f"{percentile(times, 99):8.0f}")


def write_timeline(path: Path, stats: Stats, since: float) -> None:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["start_s", "kind", "ms"])
        for at, kind, ms in sorted(stats.started):
            writer.writerow([f"{at - since:.3f}", kind, f"{ms:.1f}"])
    print(f"  every request of the load: {path}")


def report_windows(stats: Stats, since: float, seconds: float, window: float = 10.0) -> None:
    """Requests per second and search p50/p95 in each window of the run: whether slow requests come in bursts."""
    print(f"\n  {'window':>9} {'req/s':>7} {'search p50':>11} {'search p95':>11}")
    for i in range(math.ceil(seconds / window)):
        lo, hi = since + i * window, since + (i + 1) * window
        every = [(kind, ms) for at, kind, ms in stats.started if lo <= at < hi]
        times = [ms for kind, ms in every if kind == "search"]
        p50, p95 = (f"{percentile(times, p):11.0f}" if times else f"{'-':>11}" for p in (50, 95))
        print(f"  {i * window:4.0f}-{(i + 1) * window:3.0f}s {len(every) / window:7.1f} {p50} {p95}")


def wait_for_uploads(database_url: str, first_new_id: int, expected: int, timeout_s: float) -> list[tuple]:
    """Poll the database until the uploaded calls are ready or failed; returns (id, status, error, seconds)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout_s
    rows: list = []
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT id, status, error, created_at FROM call WHERE id >= :first "
                                         "ORDER BY id"), {"first": first_new_id}).all()
            if len(rows) >= expected and all(r.status in ("ready", "failed") for r in rows):
                break
            time.sleep(1)
    finally:
        engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bites", type=int, default=100_000, help="bites in the corpus")
    parser.add_argument("--users", type=int, default=50, help="simultaneous reps")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--uploads", type=int, default=10, help="simultaneous uploads by an enablement lead")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean pause of a rep between requests, seconds (0: back-to-back, a saturation test)")
    parser.add_argument("--keepalive", type=float, default=CLIENT_KEEPALIVE_S,
                        help="seconds a simulated user keeps an idle connection open (0: a new connection per request, "
                             "as a reverse proxy connects to gunicorn by default)")
    parser.add_argument("--web-workers", type=int, help="gunicorn worker processes (default: gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker process (default: gunicorn.conf.py's)")
    parser.add_argument("--queries", type=int, default=300,
                        help="distinct search pages the reps choose from (bench/search.py's mix; a web process answers "
                             "a search it has answered since the index last changed from its result cache)")
    parser.add_argument("--edits-every", type=float, default=0, metavar="SECONDS",
                        help="an enablement lead also marks a bite as a best example this often (0: never)")
    parser.add_argument("--baseline", type=int, default=100, help="search requests of one user alone")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite",
                        help="sqlite (+ SQLite job queue) or postgres (+ Redis queue on db 13)")
    parser.add_argument("--search", default="whoosh", help="SEARCH_BACKEND (whoosh or postgres)")
    parser.add_argument("--keep", action="store_true", help="keep the working copy and its logs")
    parser.add_argument("--source", type=Path, default=REPO,
                        help="run the site from this source tree (e.g. the files before a change, to compare)")
    parser.add_argument("--timeline", type=Path, help="write every request of the load to this CSV file "
                        "(seconds from the start, kind, milliseconds), to chart it")
    args = parser.parse_args()
    args.source = args.source.resolve()
    # Stopped with SIGTERM (or SIGINT from a background shell, which ignores it): stop the site and clean up.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sys.exit("interrupted"))

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    work, database_url, cleanup = prepare(args)
    env = site_env(work, database_url, args.search)
    processes: list[subprocess.Popen] = []
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as conn:
            first_new_id = conn.execute(text("SELECT max(id) FROM call")).scalar() + 1
        engine.dispose()
        files = upload_files(work, args.uploads)
        urls = search_urls(args.queries)
        base, processes = start_site(work, env, args.web_workers, args.threads, args.source)
        workers, threads_each = gunicorn_settings(args.web_workers, args.threads, args.source)
        print(f"site at {base}: gunicorn {workers} workers x {threads_each} threads, one `flask worker`; "
              f"{args.bites} bites, {args.backend} database, {args.search} search; code from {args.source}")

        warm_up(base, urls, args.bites, workers)
        client = sign_in(base, REP_EMAIL, Stats())
        alone = Stats()
        for url in urls[: args.baseline]:
            alone.request(client, "search", "GET", url, (200,))
        client.close()
        report(alone, sum(alone.times["search"]) / 1000, "one user alone, search pages back to back (baseline)")

        stats = Stats()
        clients = [sign_in(base, REP_EMAIL, stats, args.keepalive) for _ in range(args.users)]
        leads = [sign_in(base, LEAD_EMAIL, stats, args.keepalive) for _ in range(args.uploads + bool(args.edits_every))]
        tokens = [upload_form_token(lead, stats) for lead in leads]
        stats.started.clear()  # the sign-ins and upload forms
        for client in clients + leads:
            client.headers["User-Agent"] = LOAD_AGENT  # what they ask from now on is the load
        print(f"\n{args.users} reps signed in; load for {args.duration:.0f} s (think time ~{args.think} s), "
              f"{args.uploads} uploads at once ...")
        load_before = os.getloadavg()
        site_cpu = [cpu_seconds(p.pid) for p in processes]
        client_cpu = time.process_time()
        started = time.monotonic()
        stop_at = started + args.duration
        barrier = threading.Barrier(args.uploads) if args.uploads else None
        threads = [threading.Thread(target=browse, args=(c, stats, urls, args.bites, stop_at, args.think, i))
                   for i, c in enumerate(clients)]
        threads += [threading.Thread(target=upload, args=(c, token, stats, f, barrier))
                    for c, token, f in zip(leads, tokens, files, strict=False)]
        if args.edits_every:
            threads.append(threading.Thread(target=curate, args=(leads[-1], tokens[-1], stats, args.bites, stop_at,
                                                                 args.edits_every)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        client_cpu = time.process_time() - client_cpu
        web_by_pid, worker_by_pid = ({pid: t - before.get(pid, 0.0) for pid, t in cpu_seconds(p.pid).items()}
                                     for p, before in zip(processes, site_cpu, strict=True))
        web_cpu, worker_cpu = sum(web_by_pid.values()), sum(worker_by_pid.values())
        load_after = os.getloadavg()
        report(stats, elapsed, f"{args.users} reps for {elapsed:.0f} s, with {args.uploads} uploads"
               + (f" and a best example marked every {args.edits_every:g} s" if args.edits_every else ""))
        report_windows(stats, started, elapsed)
        report_server_times(work / "access.log", LOAD_AGENT)
        if args.timeline:
            write_timeline(args.timeline, stats, started)
        p95_alone, p95_load = percentile(alone.times["search"], 95), percentile(stats.times["search"], 95)
        print(f"\nsearch p95 under load / alone: {p95_load:.1f} / {p95_alone:.1f} ms = {p95_load / p95_alone:.2f}x"
              f"   (target: p95 under load <= 200 ms: {'met' if p95_load <= 200 else 'NOT met'})")
        print(f"load average at start of load {load_before[0]:.2f}, at end {' '.join(f'{x:.2f}' for x in load_after)}"
              f" (1/5/15 min; the machine is shared)")
        served = len(stats.started)
        print(f"CPU used during the load: web {web_cpu:.0f} s ({web_cpu / elapsed:.2f} cores, "
              f"{web_cpu / served * 1000:.1f} ms per request), `flask worker` {worker_cpu:.0f} s, "
              f"this load generator {client_cpu:.0f} s, on {os.cpu_count()} cores")
        print("  web CPU by process (each holds the connections it accepted): "
              + ", ".join(f"{t:.0f} s" for t in sorted(web_by_pid.values(), reverse=True)))
        for c in clients + leads:
            c.close()

        print(f"\nwaiting for the {args.uploads} uploads to be processed ...")
        started = time.monotonic()
        # Only the accepted uploads made calls (a failed one is among the errors above): wait for those.
        rows = wait_for_uploads(database_url, first_new_id, stats.uploads_accepted, timeout_s=600)
        ready = [r for r in rows if r.status == "ready"]
        print(f"uploads: {len(rows)} calls created, {len(ready)} ready, "
              f"{sum(r.status == 'failed' for r in rows)} failed, "
              f"{sum(r.status not in ('ready', 'failed') for r in rows)} unfinished, "
              f"{time.monotonic() - started:.0f} s after the load ended")
        for r in rows:
            if r.status != "ready":
                print(f"  call {r.id}: {r.status} {r.error or ''}")
        ok = not stats.errors and not alone.errors and len(ready) == args.uploads
        print(f"\nRESULT: {'zero errors, every upload processed' if ok else 'PROBLEMS (see above)'}")
    finally:
        stop(processes)
        if args.keep:
            print(f"kept {work} (logs: access.log, gunicorn.log, worker.log)")
        else:
            shutil.rmtree(cleanup[0], ignore_errors=True)
        for name in cleanup[1:]:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
