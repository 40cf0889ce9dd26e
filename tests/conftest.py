"""Fixtures shared by every test: an app on a fresh database, users per role, signed-in clients, a live server."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from enable import create_app
from enable.auth.models import Role
from enable.extensions import db
from enable.logging_setup import configure_logging
from tests.factories import PASSWORD, make_user

# Logging is configured once per process, by the first app built: done here, before any test, so that it never
# happens inside a test, where it would take away the handler through which caplog sees the records.
configure_logging()

REPO = Path(__file__).resolve().parents[1]
SHARED_AUDIO = REPO.parent / "shared" / "audio"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def _reachable(url: str) -> str | None:
    """None when the database at url answers, else why not."""
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as e:  # any driver error means: not reachable here
        return f"{type(e).__name__}: {e}"


def base_config(tmp_path: Path, **overrides) -> dict:
    """Settings for a test app whose every file lives under tmp_path."""
    cfg = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "WTF_CSRF_ENABLED": False,
        "JOBS_IMMEDIATE": True,
        "ENABLE_DATA_DIR": tmp_path / "data",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "TRANSCRIPTS_DIR": tmp_path / "transcripts",
        "CONTENT_DIR": REPO / "content",
        "LOGIN_MAX_FAILURES": 3,
        # Trackers match literally in tests unless a test turns meaning on (tests/bites/test_meaning.py): the
        # many tests of literal tagging keep exact expectations, and only the meaning tests pay for the model.
        "EMBEDDING_MODEL": "off",
    }
    cfg.update(overrides)
    return cfg


# The engine the suite's apps run on: SQLite files (the default), or with ENABLE_TEST_ENGINE=postgresql a PostgreSQL
# database of each test's own on the server of ENABLE_TEST_DATABASE_URL (CI runs the suite once per engine).
TEST_ENGINE = os.environ.get("ENABLE_TEST_ENGINE", "sqlite")


def on_postgres() -> bool:
    """True when this run's apps use PostgreSQL (ENABLE_TEST_ENGINE=postgresql)."""
    return TEST_ENGINE == "postgresql"


@pytest.fixture(scope="session")
def suite_postgres() -> Iterator[str]:
    """With ENABLE_TEST_ENGINE=postgresql: one PostgreSQL database for this run's apps, dropped at the end."""
    with scratch_postgres_database(postgres_test_url(), "suite") as url:
        yield url


def _empty_postgres(url: str) -> None:
    """Remove every row of every table (a test's leftovers), keeping the tables: cheaper than a new database."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            tables = conn.execute(text("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"))
            names = [name for (name,) in tables]
            if names:
                conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def app_config(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict]:
    """The configuration the `app` fixture builds from; a test may change it before using `app`."""
    config = base_config(tmp_path)
    if not on_postgres():
        yield config
        return
    url = request.getfixturevalue("suite_postgres")
    config["SQLALCHEMY_DATABASE_URI"] = url
    yield config
    _empty_postgres(url)


@contextmanager
def made_app(config: dict) -> Iterator:
    """An app built from config with its tables created; its connections closed when the block ends."""
    app = create_app(config)
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_config: dict):
    with made_app(app_config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def users(app) -> dict[Role, int]:
    """One user per role, emails <role>@example.test; returns ids, not ORM objects."""
    with app.app_context():
        made = {role: make_user(role=role, email=f"{role.value}@example.test", name=f"{role.value.title()} User")
                for role in Role}
        db.session.commit()
        return {role: user.id for role, user in made.items()}


@pytest.fixture
def login(app, users):
    """login(Role.X) -> a test client signed in through the real login form."""

    def _login(role: Role | str):
        role = Role(role)
        client = app.test_client()
        response = client.post("/auth/login", data={"email": f"{role.value}@example.test", "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


def postgres_test_url() -> str:
    """A reachable PostgreSQL URL (ENABLE_TEST_DATABASE_URL), or a skip naming what is missing."""
    url = os.environ.get("ENABLE_TEST_DATABASE_URL")
    if not url:
        pytest.skip("ENABLE_TEST_DATABASE_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    why = _reachable(url)
    if why:
        pytest.skip(f"PostgreSQL at ENABLE_TEST_DATABASE_URL is not reachable: {why}")
    return url


@contextmanager
def scratch_postgres_database(url: str, purpose: str) -> Iterator[str]:
    """A new database on the PostgreSQL server of `url`, for one test (runs at the same time share the database
    of `url`): yields its URL and drops it afterwards."""
    name = f"enable_{purpose}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> str:
    """A reachable PostgreSQL URL (ENABLE_TEST_DATABASE_URL), or a skip naming what is missing."""
    return postgres_test_url()


@pytest.fixture
def own_postgres(postgres_url) -> Iterator[str]:
    """The URL of a PostgreSQL database of this test's own, dropped afterwards."""
    with scratch_postgres_database(postgres_url, "test") as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    """A reachable Redis URL (ENABLE_TEST_REDIS_URL), or a skip naming what is missing."""
    url = os.environ.get("ENABLE_TEST_REDIS_URL")
    if not url:
        pytest.skip("ENABLE_TEST_REDIS_URL is not set (e.g. redis://127.0.0.1:6379/15)")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as e:
        pytest.skip(f"Redis at ENABLE_TEST_REDIS_URL is not reachable: {e}")
    return url


@pytest.fixture
def shared_audio() -> Path:
    """The folder of real recordings beside the project, or a skip."""
    if not SHARED_AUDIO.is_dir():
        pytest.skip(f"{SHARED_AUDIO} is absent: the real-recording tests need ../shared/audio")
    return SHARED_AUDIO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(tmp_path: Path, database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a site or worker process started by a test: its files under tmp_path, this database, a
    test secret, and no queue, server or worker settings inherited from the shell unless given here."""
    env = {**os.environ, "ENABLE_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": database_url,
           "TRANSCRIPTS_DIR": str(tmp_path / "transcripts"), "SECRET_KEY": "test-secret-key-for-a-site-process"}
    for name in ("QUEUE_URL", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND"):
        env.pop(name, None)
    return {**env, **settings}


def wait_until_served(server: subprocess.Popen, url: str, log: Path, timeout_s: float = 60) -> tuple[bytes, dict]:
    """The body and headers of url once the server process answers it with 200; the test fails, with the server's
    log, if the process ends or does not answer in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return response.read(), dict(response.headers)
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"the server did not answer {url}:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


@contextmanager
def served(app) -> Iterator[str]:
    """The app served by waitress on a free loopback port in a thread until the block ends; gives its base URL.

    poll() rather than select(): closing the sockets from this thread while the server's loop waits on them
    makes select() fail with EBADF in the server's thread, where poll() just reports them gone."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=_free_port(), threads=4, asyncore_use_poll=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served on a free loopback port by waitress in a thread; yields its base URL."""
    with served(app) as url:
        yield url


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The demo site (content + `flask demo load`) served once per session; see tests/demo_site.py."""
    from tests.demo_site import serve_demo

    yield from serve_demo(tmp_path_factory)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, or a skip naming what is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page; a screenshot of the last state is kept under test-artifacts/ on failure or always."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """shot(page, "step") saves a screenshot as a test artifact under test-artifacts/<test>/NN-step.png."""
    folder = REPO / "test-artifacts" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def _shot(page, step: str) -> Path:
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
