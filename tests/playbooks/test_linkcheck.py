import asyncio
import concurrent.futures
import shutil
import socket
import ssl
import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enable.playbooks.linkcheck import USER_AGENT, check_urls, extract_links, internal_targets

MARKDOWN = """\
# Pricing objections

See [pricing](https://example.com/pricing "Pricing") and ![chart](https://cdn.example.com/chart.png).
Autolink <https://example.org/docs> and bare https://example.net/path?q=1, then
(see https://example.com/wiki/Sales_(disambiguation)).
Mail [me](mailto:rep@example.test), call [us](tel:+15551234), jump [up](#top), relative [doc](notes.md).
Internal [bite](/bites/12), [playbook](/playbooks/3?tab=review) and [asset](</assets/5>).
Read the [docs][start] and [pricing](https://example.com/pricing) again.

[start]: https://docs.example.com/start "Getting started"

```bash
curl https://code.example.com/not-a-link
```

Inline `https://inline-code.example.com/x` is code too.
<a href="https://html.example.com/page">from HTML</a>
Our own site: [a bite by full address](https://enable.example.test/bites/7).
"""


def test_extract_links_finds_every_external_link_once_in_order():
    assert extract_links(MARKDOWN) == [
        "https://example.com/pricing",
        "https://cdn.example.com/chart.png",
        "https://example.org/docs",
        "https://example.net/path?q=1",
        "https://example.com/wiki/Sales_(disambiguation)",
        "https://docs.example.com/start",
        "https://html.example.com/page",
        "https://enable.example.test/bites/7",
    ]


def test_extract_links_leaves_out_our_own_site():
    links = extract_links(MARKDOWN, base_url="https://enable.example.test/")
    assert "https://enable.example.test/bites/7" not in links
    assert len(links) == 7


def test_internal_targets():
    assert internal_targets(MARKDOWN) == [("bites", 12), ("playbooks", 3), ("assets", 5)]
    assert internal_targets(MARKDOWN, base_url="https://enable.example.test")[-1] == ("bites", 7)
    assert internal_targets("[a](/bites/1) [b](/bites/1/) [c](/calls/9)", kinds=("bites", "calls")) == [
        ("bites", 1),
        ("calls", 9),
    ]


def test_extract_links_on_text_without_links():
    assert extract_links("Nothing here, not even http:// or [a]() or `https://x.y`.") == []
    assert internal_targets("") == []


PIECES = [*"[]()<>`~ \n:/#'\"ahtps.x1", "http://", "https://", "](", "```", "/bites/"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_link_extraction_never_raises(markdown):
    for url in extract_links(markdown):
        assert url.lower().startswith(("http://", "https://"))
    assert all(isinstance(target_id, int) for _, target_id in internal_targets(markdown))


class LinkServer(ThreadingHTTPServer):
    """A local server whose paths behave like the kinds of pages a link checker meets."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.hits: Counter[tuple[str, str]] = Counter()
        self.active = 0
        self.max_active = 0
        self.user_agents: set[str] = set()
        self.hosts: set[str] = set()
        self.release = threading.Event()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request, client_address):
        pass  # a client that gave up on /slow is expected


REDIRECTS = {
    "/old": (301, "/ok"),
    "/chain1": (302, "/chain2"),
    "/chain2": (307, "/ok"),
    "/moved-away": (302, "/missing"),
}
CODES = {"/ok": 200, "/missing": 404, "/gone": 410, "/down": 500, "/forbidden": 403, "/teapot": 418}


class Handler(BaseHTTPRequestHandler):
    server: LinkServer

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.route("HEAD")

    def do_GET(self):
        self.route("GET")

    def route(self, method):
        path = urlsplit(self.path).path
        srv = self.server
        with srv.lock:
            srv.hits[(method, path)] += 1
            flaky_hits = srv.hits[("HEAD", "/flaky")] + srv.hits[("GET", "/flaky")]
            srv.active += 1
            srv.max_active = max(srv.max_active, srv.active)
            srv.user_agents.add(self.headers.get("User-Agent", ""))
            srv.hosts.add(self.headers.get("Host", ""))
        try:
            if path == "/redirect":
                self.reply(302, parse_qs(urlsplit(self.path).query)["to"][0])
            elif path in REDIRECTS:
                code, target = REDIRECTS[path]
                self.reply(code, target)
            elif path in CODES:
                self.reply(CODES[path])
            elif path == "/nohead":
                self.reply(405 if method == "HEAD" else 200)
            elif path == "/flaky":
                self.reply(503 if flaky_hits <= 2 else 200)  # HEAD and the first GET fail
            elif path == "/slow":
                srv.release.wait(5)
                self.reply(200)
            elif path == "/busy":
                srv.release.wait(0.2)
                self.reply(200)
            else:
                self.reply(404)
        except OSError:
            pass  # the checker hung up first (the timeout test)
        finally:
            with srv.lock:
                srv.active -= 1

    def reply(self, code, location=None):
        self.send_response(code)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def server():
    srv = LinkServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def check(server, path, **kwargs):
    url = server.base + path
    kwargs.setdefault("backoff_s", 0.01)
    kwargs.setdefault("allow_private", True)  # the test site is on 127.0.0.1
    return check_urls([url], **kwargs)[url]


def test_ok(server):
    result = check(server, "/ok")
    assert (result.status, result.http_status) == ("ok", 200)
    assert result.checked_at.tzinfo is UTC
    assert abs((datetime.now(UTC) - result.checked_at).total_seconds()) < 60
    assert server.user_agents == {USER_AGENT}


def test_permanent_redirect_is_reported_as_moved_with_the_new_address(server):
    result = check(server, "/old")
    assert (result.status, result.http_status) == ("moved", 200)
    assert result.final_url == server.base + "/ok"
    assert "permanently" in result.detail


def test_redirect_chain_reports_the_final_address(server):
    result = check(server, "/chain1")
    assert result.status == "moved"
    assert result.final_url == server.base + "/ok"
    assert "temporarily" in result.detail


def test_redirect_to_a_missing_page_is_broken(server):
    result = check(server, "/moved-away")
    assert (result.status, result.http_status) == ("broken", 404)
    assert result.final_url == server.base + "/missing"


@pytest.mark.parametrize(("path", "code"), [("/missing", 404), ("/gone", 410)])
def test_missing_pages_are_broken(server, path, code):
    result = check(server, path)
    assert (result.status, result.http_status) == ("broken", code)


def test_head_not_allowed_falls_back_to_get(server):
    result = check(server, "/nohead")
    assert (result.status, result.http_status) == ("ok", 200)
    assert server.hits[("GET", "/nohead")] == 1


def test_forbidden_means_blocked_but_probably_alive(server):
    result = check(server, "/forbidden")
    assert (result.status, result.http_status) == ("ok", 403)
    assert "probably exists" in result.detail


def test_other_client_errors_are_errors(server):
    result = check(server, "/teapot")
    assert (result.status, result.http_status) == ("error", 418)


def test_slow_page_times_out(server):
    result = check(server, "/slow", timeout_s=0.5)
    assert result.status == "timeout"
    assert result.http_status is None


def test_server_error_that_recovers_is_ok(server):
    result = check(server, "/flaky", retries_5xx=2)
    assert (result.status, result.http_status) == ("ok", 200)
    assert server.hits[("GET", "/flaky")] == 2


def test_permanent_server_error_is_reported_after_retries(server):
    result = check(server, "/down", retries_5xx=2)
    assert (result.status, result.http_status) == ("server_error", 500)
    assert server.hits[("GET", "/down")] == 3
    assert "after 3 attempts" in result.detail


def test_refused_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    assert check_urls([url], allow_private=True)[url].status == "refused"


def test_name_that_does_not_resolve():
    url = "http://nonexistent.invalid/"
    result = check_urls([url], timeout_s=5)[url]
    assert result.status == "dns"
    assert "nonexistent.invalid" in result.detail


def test_per_host_limit_is_respected(server):
    urls = [f"{server.base}/busy?n={n}" for n in range(6)]
    results = check_urls(urls, per_host=2, concurrency=16, allow_private=True)
    assert [results[u].status for u in urls] == ["ok"] * 6
    assert 1 <= server.max_active <= 2


def test_many_urls_are_checked_once_each(server):
    urls = [server.base + p for p in ("/gone", "/ok", "/gone", "/old")]
    results = check_urls(urls, backoff_s=0.01, allow_private=True)
    assert {u: r.status for u, r in results.items()} == {
        server.base + "/gone": "broken",
        server.base + "/ok": "ok",
        server.base + "/old": "moved",
    }
    assert server.hits[("HEAD", "/gone")] == 1


def test_check_urls_works_inside_a_running_event_loop(server):
    async def from_async_code():
        return check_urls([server.base + "/ok"], allow_private=True)

    # A fresh thread: other tests (Playwright's sync API) may leave a loop registered on this one.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        results = pool.submit(asyncio.run, from_async_code()).result()
    assert results[server.base + "/ok"].status == "ok"


def test_empty_list_and_malformed_urls():
    assert check_urls([]) == {}
    results = check_urls(["ftp://example.test/file", "http://", "http://[::1"])
    assert [r.status for r in results.values()] == ["error"] * 3
    assert results["http://"].detail.startswith("Not a web address")


def make_self_signed(tmp_path):
    """A certificate and key for 127.0.0.1, by the openssl CLI or the cryptography package."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    if shutil.which("openssl"):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1"],
            check=True, capture_output=True,
        )  # fmt: skip
        return cert, key
    crypto = pytest.importorskip(
        "cryptography", reason="neither the openssl CLI nor cryptography is installed"
    )
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    assert crypto
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert, key


@pytest.fixture
def tls_server(tmp_path):
    cert, key = make_self_signed(tmp_path)
    srv = LinkServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{srv.server_address[1]}/ok", cert
    srv.shutdown()
    srv.server_close()


def test_untrusted_certificate_is_a_tls_error(tls_server):
    url, _ = tls_server
    result = check_urls([url], timeout_s=5, allow_private=True)[url]
    assert result.status == "tls"
    assert "certificate" in result.detail


def test_the_same_tls_server_is_ok_when_its_certificate_is_trusted(tls_server):
    url, cert = tls_server
    trusting = ssl.create_default_context(cafile=str(cert))
    assert check_urls([url], timeout_s=5, verify=trusting, allow_private=True)[url].status == "ok"


# The outbound guard: private targets are not fetched -----------------------------------------------------------------

PUBLIC = "93.184.216.34"  # a public address, standing for a web site on the internet


class Internet(httpx.AsyncHTTPTransport):
    """The network beyond this machine, where PUBLIC happens to be served by the local test server."""

    async def handle_async_request(self, request):
        if request.url.host == PUBLIC:
            request.url = request.url.copy_with(host="127.0.0.1")
        return await super().handle_async_request(request)


@pytest.fixture
def dns(monkeypatch):
    """Names outside the machine: www.public.test resolves to PUBLIC, both.public.test to PUBLIC and loopback."""
    real = socket.getaddrinfo
    answers = {"www.public.test": [PUBLIC], "both.public.test": [PUBLIC, "127.0.0.1"]}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _served(server) -> int:
    return sum(server.hits.values())


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost",
                                  "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]"])
def test_a_link_to_this_machine_is_not_fetched_in_any_spelling(server, host):
    url = f"http://{host}:{server.server_address[1]}/ok"
    result = check_urls([url])[url]
    assert (result.status, result.http_status, result.final_url) == ("private", None, None)
    assert result.detail.startswith("Not checked")
    assert _served(server) == 0


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/",
                                 "http://172.16.0.1/", "http://100.64.0.1/", "http://224.0.0.1/", "http://0.0.0.0/",
                                 "http://240.0.0.1/", "http://[fe80::1]/", "http://[fc00::1]/", "https://[::]/"])
def test_links_to_private_and_special_networks_are_not_fetched(url):
    assert check_urls([url], timeout_s=2)[url].status == "private"


def test_a_public_name_is_fetched_at_its_checked_address_with_its_own_host_header(server, dns):
    url = f"http://www.public.test:{server.server_address[1]}/old"
    result = check_urls([url], transport=Internet())[url]
    assert (result.status, result.final_url) == ("moved", f"http://www.public.test:{server.server_address[1]}/ok")
    assert server.hosts == {f"www.public.test:{server.server_address[1]}"}


@pytest.mark.parametrize("to", ["http://127.0.0.1:{port}/ok", "http://localhost:{port}/ok", "http://2130706433:{port}/ok",
                                "http://both.public.test:{port}/ok"])
def test_a_redirect_from_a_public_site_into_this_machine_is_not_followed(server, dns, to):
    port = server.server_address[1]
    url = f"http://www.public.test:{port}/redirect?to=" + to.format(port=port)
    result = check_urls([url], transport=Internet())[url]
    assert (result.status, result.http_status, result.final_url) == ("private", None, None)
    assert "redirect" in result.detail and "127.0.0.1" not in result.detail and "localhost" not in result.detail
    assert server.hits[("HEAD", "/ok")] + server.hits[("GET", "/ok")] == 0


def test_a_name_with_one_private_address_among_public_ones_is_not_fetched(server, dns):
    url = f"http://both.public.test:{server.server_address[1]}/ok"
    assert check_urls([url], transport=Internet())[url].status == "private"
    assert _served(server) == 0


def test_private_targets_are_checked_when_allowed(server, dns):
    port = server.server_address[1]
    for url in (f"http://127.1:{port}/ok", f"http://www.public.test:{port}/redirect?to=http://localhost:{port}/ok"):
        assert check_urls([url], transport=Internet(), allow_private=True)[url].status in ("ok", "moved")
