"""Live updates under load: 48 agent panels, 7 wallboards and 5 campaign pages on one web process.

The real server (``web.serve``: waitress, as ``switchboard web`` runs it) serves a
PostgreSQL database with 48 agents in 6 teams on 5 campaigns. Each client logs in,
opens its page's event stream (``web.live``) and, on every ``changed`` event,
fetches its part as htmx does (``/agent/live`` with the shown keys,
``/wallboard/board``, ``/campaigns/<id>/progress/live``). Meanwhile a "runner"
commits agent state changes, each with a reason no other change has
(``bench-<n>``), at ``rate`` per second, and starts and ends calls.

Push latency of change n for one client: from its commit to the moment that
client has fetched a part showing ``bench-<n>`` (its own panel for an agent,
every agent for a wallboard). That is event → poller → stream → browser's
fetch → rendered part: what a person watching the page waits. Campaign pages
(spaced by design, ``PROGRESS_GAP_S``, and showing counts, not reasons) are
load: their fetches are counted, not timed.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, text

PANELS, WALLBOARDS, CAMPAIGN_PAGES = 48, 7, 5
_TOKEN = re.compile(r"bench-(\d+)")
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_SSE = re.compile(r'sse-connect="([^"]+)"')
_KEYS = re.compile(r'name="(shown_controls|shown_call)" value="([^"]*)"')


@dataclass
class Browser:
    """One page in one browser: its cookie, its stream, the changes it has seen and when."""

    port: int
    cookie: str = ""
    seen: dict[int, float] = field(default_factory=dict)  # change -> when a fetched part first showed it
    events: int = 0
    error: str = ""

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, data, headers)
        response = conn.getresponse()
        for value in response.headers.get_all("Set-Cookie") or []:
            self.cookie = value.split(";", 1)[0]
        payload = response.read().decode()
        conn.close()
        return response.status, payload

    def login(self, username: str, password: str) -> None:
        _, page = self.request("GET", "/login")
        token = _CSRF.search(page).group(1)  # type: ignore[union-attr]
        status, _ = self.request(
            "POST", "/login", {"username": username, "password": password, "csrf_token": token}
        )
        if status != 302:
            raise SystemExit(f"{username}: login failed ({status})")

    def watch(self, page: str, part: str, stop: threading.Event) -> None:
        """Open ``page``, follow its stream until ``stop``, fetch ``part`` on every event."""
        try:
            status, html = self.request("GET", page)
            if status != 200:
                raise RuntimeError(f"{page}: HTTP {status}")
            stream = _SSE.search(html).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
            keys = dict(_KEYS.findall(html))
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("GET", stream, headers={"Cookie": self.cookie, "Accept": "text/event-stream"})
            response = conn.getresponse()
            if response.status != 200:
                raise RuntimeError(f"{stream}: HTTP {response.status}")
            while not stop.is_set():
                line = response.readline()
                if not line:
                    break
                if line.startswith(b"event: changed"):
                    self.events += 1
                    self._fetch(part, keys)
            conn.close()
        except Exception as exc:  # reported with the results: a client that failed is not a fast one
            if not stop.is_set():  # the server stopping at the end is no error
                self.error = f"{type(exc).__name__}: {exc}"

    def _fetch(self, part: str, keys: dict[str, str]) -> None:
        query = ("?" + urllib.parse.urlencode(keys)) if keys else ""
        _, html = self.request("GET", part + query)
        now = time.time()
        for match in _TOKEN.finditer(html):
            self.seen.setdefault(int(match.group(1)), now)


def serve(url: str, instance: Path, port: int) -> subprocess.Popen[bytes]:
    """``switchboard web``'s server in its own process (its CPU is measured apart from the clients')."""
    code = (
        "import sys; from pathlib import Path; from settings import Settings; from web.serve import serve; "
        "serve(Settings(instance_dir=Path(sys.argv[1]), database_url=sys.argv[2], secret_key='bench'), "
        "'127.0.0.1', int(sys.argv[3]))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(instance), url, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz")
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    _, err = process.communicate()
    raise SystemExit("the web server did not start: " + err.decode()[-2000:])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_END_STATE = "UPDATE agent_state_log SET ended_at = now() WHERE agent_id = :a AND ended_at IS NULL"
_NEW_STATE = (
    "INSERT INTO agent_state_log (agent_id, state, reason, campaign_id, started_at) "
    "VALUES (:a, :s, :r, :c, now())"
)
_AGENT = "UPDATE agents SET state = :s, state_reason = :r, state_since = now() WHERE id = :a"
_DIAL = (
    "INSERT INTO attempts (id, lead_id, campaign_id, phone, created_at, abandoned, notes) "
    "SELECT gen_random_uuid(), id, campaign_id, phone, now(), false, '' FROM leads "
    "WHERE campaign_id = :c ORDER BY random() LIMIT 1"
)
_HANG_UP = (
    "UPDATE attempts SET ended_at = now(), outcome = 'no_answer' WHERE id IN "
    "(SELECT id FROM attempts WHERE ended_at IS NULL ORDER BY created_at LIMIT 1 OFFSET 5)"
)


def drive(
    engine: Engine,
    agents: list[int],
    campaigns: list[int],
    rate: float,
    seconds: float,
    committed: dict[int, tuple[float, int]],
) -> None:
    """The runner's writes: agent states (each with its own reason) and calls starting and ending."""
    n, started = 0, time.monotonic()
    states = ("paused", "ready", "on_call", "wrap_up")
    while time.monotonic() - started < seconds:
        n += 1
        agent = agents[n % len(agents)]
        campaign = campaigns[agent % len(campaigns)]
        values = {"a": agent, "s": states[n % 4], "r": f"bench-{n}", "c": campaign}
        with engine.begin() as conn:
            conn.execute(text(_END_STATE), values)
            conn.execute(text(_NEW_STATE), values)
            conn.execute(text(_AGENT), values)
            if n % 3 == 0:  # a call starts on one campaign, an older one ends
                conn.execute(text(_DIAL), values)
                conn.execute(text(_HANG_UP))
        committed[n] = (time.time(), agent)
        time.sleep(max(0.0, started + n / rate - time.monotonic()))


def p99(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


Page = tuple[str, Browser, int | None]  # kind, browser, the agent of a panel


def open_pages(
    port: int, password: str, agents: dict[str, int], campaigns: list[int], stop: threading.Event
) -> list[Page]:
    """Log every browser in and start following its page's stream."""
    pages: list[Page] = []
    for name in sorted(agents)[:PANELS]:
        b = Browser(port)
        b.login(name, password)
        pages.append(("panel", b, agents[name]))
    for kind, count in (("wallboard", WALLBOARDS), ("campaign", CAMPAIGN_PAGES)):
        for _ in range(count):
            b = Browser(port)
            b.login("sup", password)
            pages.append((kind, b, None))
    for i, (kind, b, _) in enumerate(pages):
        c = campaigns[i % len(campaigns)]
        page, part = {
            "panel": ("/agent/", "/agent/live"),
            "wallboard": ("/wallboard/", "/wallboard/board"),
            "campaign": (f"/campaigns/{c}/progress", f"/campaigns/{c}/progress/live"),
        }[kind]
        threading.Thread(target=b.watch, args=(page, part, stop), daemon=True).start()
    return pages


def latencies(
    pages: list[Page], committed: dict[int, tuple[float, int]]
) -> tuple[dict[str, list[float]], int]:
    """Per kind of page, commit → shown for every change it shows; and the changes never shown."""
    out: dict[str, list[float]] = {"panel": [], "wallboard": []}
    missed = 0
    for kind, b, agent_id in pages:
        if kind == "campaign":  # its part shows counts, not reasons: it is load here, counted by its fetches
            continue
        mine = [n for n, (_, agent) in committed.items() if kind == "wallboard" or agent == agent_id]
        for n in mine:
            if n in b.seen:
                out[kind].append((b.seen[n] - committed[n][0]) * 1000)
            elif not any(m > n and m in b.seen and committed[m][1] == committed[n][1] for m in mine):
                missed += 1  # neither shown nor overtaken by a later change of the same agent
    return out, missed


def run(
    url: str, engine: Engine, password: str, instance: Path, seconds: float, rate: float, port: int = 18_640
) -> dict[str, float]:
    """The measured run on a database with users ``sup`` and ``agent01``..``agent48``."""
    with engine.begin() as conn:
        agents = dict(
            conn.execute(text("SELECT u.username, a.id FROM agents a JOIN users u ON u.id = a.user_id"))
            .tuples()
            .all()
        )
        campaigns = [c for (c,) in conn.execute(text("SELECT id FROM campaigns ORDER BY id"))]
        conn.execute(text("UPDATE campaigns SET desired_state = 'running'"))
    server = serve(url, instance, port)
    stop = threading.Event()
    committed: dict[int, tuple[float, int]] = {}
    try:
        pages = open_pages(port, password, agents, campaigns, stop)
        time.sleep(3)  # every page open and its stream connected
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        drive(engine, list(agents.values()), campaigns, rate, seconds, committed)
        time.sleep(3)  # the last changes reach the pages
        cpu = (cpu_seconds(server.pid) - cpu0) / (time.monotonic() - t0)
        threads = len(os.listdir(f"/proc/{server.pid}/task"))
        rss_mb = (
            int(Path(f"/proc/{server.pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        )
    finally:
        stop.set()
        server.terminate()
        server.wait(10)
    errors = [b.error for _, b, _ in pages if b.error]
    by_kind, missed = latencies(pages, committed)
    fetched = sum(b.events for kind, b, _ in pages if kind == "campaign")
    print(
        f"{len(pages)} pages with a stream; {len(committed)} changes in {seconds:.0f} s ({rate:g}/s); "
        f"server {cpu * 100:.0f} % of one core, {threads} threads, {rss_mb:.0f} MB; "
        f"campaign pages fetched {fetched} times"
    )
    print(f"{'page':<12} {'pushes':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for kind, values in by_kind.items():
        if values:
            print(
                f"{kind:<12} {len(values):7d} {statistics.median(values):8.1f} {p99(values):8.1f} "
                f"{max(values):8.1f}"
            )
    if errors:
        print("client errors:", json.dumps(errors[:5]))
    if missed:
        print(f"changes never shown: {missed}")
    return {
        "push_latency_p99_ms": p99(by_kind["panel"] + by_kind["wallboard"]),
        "sse_clients": float(len(pages)),
        "missed": float(missed),
        "server_cpu": cpu,
        "errors": float(len(errors)),
    }
