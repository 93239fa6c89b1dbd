"""The deployment smoke test's user (``scripts/deploy-smoke``): a fresh compose stack driven over HTTP.

It does what a sysadmin and an agent do on their first day, through the web admin the container
serves, each form filled from the page as a browser sends it (CSRF token included): log in, add the
Asterisk node, add its carrier trunk (the node's test carrier, ``docker/asterisk/test-carrier/``), make a
remote seat whose phone is a number that carrier answers, provision the node, add an agent, create a
campaign and upload its one lead, start it; the agent logs in from the agent panel; the runner dials the
agent's phone, then the customer, and bridges them. Passing means: the campaign's one attempt ended
``connected`` with a bridge, and the call log page shows it. Standard library only: it runs from any
Python on the host (the stack's own database is asked through ``podman exec``).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

#: Where the test carrier listens inside the node (docker/asterisk/test-carrier/pjsip-test-carrier.conf).
CARRIER_HOST, CARRIER_PORT = "127.0.0.2", "5062"
#: The agent's remote phone: the test carrier keeps a number ending in 00 on the line.
AGENT_PHONE = "+12015199100"
#: (compliance profile, customer number, its time zone): the first whose local time allows a call now
#: (each profile's calling hours are 8-21 local; 9-19 leaves room).
CUSTOMERS = (
    ("us", "+12015199001", "America/New_York"),
    ("us", "+18085199001", "Pacific/Honolulu"),
    ("us", "+16715199001", "Pacific/Guam"),
    ("uk", "+442079460001", "Europe/London"),
)


class SmokeFailure(Exception):
    """A step of the smoke test did not do what a user would see it do."""


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)


class _Forms(HTMLParser):
    """The forms of a page with what a browser would submit untouched: inputs' values, checked boxes,
    each select's selected (or first) option, textareas' text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: tuple[str | None, bool, list[str]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(),
                                   a.get("enctype", "application/x-www-form-urlencoded")))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.forms[-1].fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], [])
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a, [])
        elif tag == "textarea" and a.get("name"):
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2].append(data)
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            value, selected, text = self._option
            self._select[1].append(((value if value is not None else "".join(text)).strip(), selected))
            self._option = None
        elif tag == "select" and self._select is not None and self.forms:
            name, options = self._select
            chosen = next((v for v, on in options if on), options[0][0] if options else None)
            if chosen is not None:
                self.forms[-1].fields.append((name, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self.forms:
            self.forms[-1].fields.append((self._textarea[0], "".join(self._textarea[1]).lstrip("\n")))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass
class Page:
    url: str
    status: int
    text: str

    def form(self, action: str) -> Form:
        """The page's form posting to ``action`` (a path), as the browser would submit it."""
        for form in forms_of(self.text):
            target = urllib.parse.urlsplit(urllib.parse.urljoin(self.url, form.action)).path
            if target.rstrip("/") == action.rstrip("/"):
                return form
        raise SmokeFailure(f"{self.url}: no form posting to {action}")

    def flashes(self) -> str:
        return " | ".join(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m)).strip()
                          for m in re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', self.text, re.S))


class Browser:
    """One user's cookies and pages; redirects followed as a browser does."""

    def __init__(self, base: str) -> None:
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise SmokeFailure(f"not a web address: {base!r}")
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.url, response.status, response.read().decode())
        except urllib.error.HTTPError as exc:
            return Page(exc.url, exc.code, exc.read().decode(errors="replace"))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 - http(s), checked above

    def submit(self, page: Page, action: str, changes: dict[str, str | list[str]] | None = None,
               files: dict[str, tuple[str, bytes]] | None = None, omit: tuple[str, ...] = ()) -> Page:
        """Fill the form of ``page`` that posts to ``action`` with ``changes`` and send it (``omit``:
        fields left out, as a browser leaves out a box the user unticked)."""
        form = page.form(action)
        changes = changes or {}
        fields = [(k, v) for k, v in form.fields if k not in changes and k not in omit]
        for k, v in changes.items():
            fields += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
        url = urllib.parse.urljoin(page.url, form.action or page.url)
        if files is not None:
            boundary = uuid.uuid4().hex
            body = b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields)
            for k, (filename, content) in files.items():
                body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{filename}"'
                         f"\r\nContent-Type: text/csv\r\n\r\n").encode() + content + b"\r\n"
            body += f"--{boundary}--\r\n".encode()
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        # The form's action resolved against a page of the checked base: http(s).
        return self._open(urllib.request.Request(url, data=body, headers={"Content-Type": kind}))  # noqa: S310


def expect(page: Page, text: str, step: str) -> Page:
    if page.status >= 400 or text not in page.text:
        raise SmokeFailure(f"{step}: expected {text!r} on {page.url} (HTTP {page.status}); "
                           f"the page says: {page.flashes() or page.text[:300]!r}")
    print(f"smoke: {step}: ok", flush=True)
    return page


def psql(container: str, sql: str, **values: int) -> str:
    """One query on the stack's own database, from inside its container (its socket: no password);
    ``:name`` in ``sql`` is ``values[name]``, put in by psql."""
    variables = [f"--variable={name}={int(value)}" for name, value in values.items()]
    done = subprocess.run(["podman", "exec", "-i", "-u", "postgres", container, "psql", "-U", "switchboard",
                           "-d", "switchboard", "-At", "-F", "|", *variables, "-f", "-"],
                          input=sql, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode:
        raise SmokeFailure(f"psql in {container}: {done.stderr.strip()}")
    return done.stdout.strip()


def customer_now(now: datetime) -> tuple[str, str]:
    """A (profile, number) whose calling hours are open now."""
    for profile, number, zone in CUSTOMERS:
        if 9 <= now.astimezone(ZoneInfo(zone)).hour < 19:
            return profile, number
    raise SmokeFailure("no customer time zone is inside calling hours now")  # cannot happen: they cover 24 h


def id_in(page: Page, pattern: str, what: str) -> str:
    found = re.search(pattern, page.text)
    if not found:
        raise SmokeFailure(f"{page.url}: cannot find {what}")
    return found.group(1)


def wait_for(what: str, timeout_s: float, probe) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: not within {timeout_s:.0f} s")
        time.sleep(1)


def run(args: argparse.Namespace) -> None:
    admin = Browser(args.url)
    password = open(args.admin_password_file).read().strip()  # noqa: SIM115 - a one-line secret
    expect(admin.submit(admin.get("/login"), "/login", {"username": "admin", "password": password}),
           "Log out", "admin logs in")

    seats = admin.get("/admin/seats")
    page = admin.submit(seats, "/admin/nodes", {"name": args.node, "kind": "asterisk", "host": args.node,
                                                "port": "5038", "username": "switchboard",
                                                "secret": args.ami_secret})
    expect(page, f"Node {args.node} added", "the Asterisk node is defined")
    node_id = id_in(page, r'action="/admin/nodes/(\d+)/provision"', "the node's provision form")

    trunks = admin.get("/admin/trunks")
    page = admin.submit(trunks, "/admin/trunks", {"name": "carrier", "node_ids": [node_id],
                                                  "host": CARRIER_HOST, "port": CARRIER_PORT,
                                                  "auth": "ip"})
    expect(page, "Trunk carrier saved", "the carrier trunk is added (and the node provisioned)")
    if "failed" in page.flashes():
        raise SmokeFailure(f"provisioning with the trunk: {page.flashes()}")

    seats = admin.get("/admin/seats")
    trunk_id = id_in(seats, r'<option value="(\d+)"[^>]*>carrier', "the carrier in the remote seat form")
    # "Press 1 to accept" unticked, as a browser sends an unticked box (left out): the test carrier
    # answers the agent's number but presses no key (the check itself is tested live on the sandbox).
    form = {"node_id": node_id, "extension": "9001", "remote_number": AGENT_PHONE, "trunk_id": trunk_id}
    page = admin.submit(seats, "/admin/seats/remote", form, omit=("confirm_answer",))
    expect(page, "Remote seat 9001 created", "a remote seat is provisioned through the form")
    page = admin.submit(page, f"/admin/nodes/{node_id}/provision")
    expect(page, f"{args.node}: ", "Provision and reload")
    if "failed" in page.flashes():
        raise SmokeFailure(f"provisioning: {page.flashes()}")

    agent_password = uuid.uuid4().hex
    users = admin.get("/admin/users")
    page = admin.submit(users, "/admin/users", {"username": "agent9001", "password": agent_password,
                                                "role": "agent", "display_name": "Smoke agent"})
    expect(page, "User agent9001 created", "an agent is created")

    profile, customer = customer_now(datetime.now(UTC))
    name = f"Smoke {datetime.now(UTC):%H%M%S}"
    page = admin.submit(admin.get("/campaigns/new"), "/campaigns/new", {
        "name": name, "mode": "progressive", "compliance_profile": profile, "trunk": "carrier",
        "abandon_message_text": "Sorry, we will call you back.", "record_calls": "on", "wrap_up_s": "0",
        "max_attempts": "1", "retries": ""})
    expect(page, name, "a campaign is created")
    listed = admin.get("/campaigns/")
    campaign_id = int(id_in(listed, rf'href="/campaigns/(\d+)[^"]*"[^>]*>{name}<', "the campaign"))
    page = admin.submit(admin.get("/lists"), "/lists/upload", {"campaign_id": str(campaign_id),
                                                              "list_name": f"{name} list"},
                        files={"file": ("smoke.csv", f"phone,name\n{customer},Smoke customer\n".encode())})
    page = admin.submit(page, urllib.parse.urlsplit(page.url).path)
    token = id_in(page, r"/lists/import/([A-Za-z0-9_-]+)", "the import's token")
    wait_for("the lead import", 60, lambda: json.loads(admin.get(f"/lists/import/{token}.json").text)
             .get("done"))
    count = psql(args.db, "SELECT count(*) FROM leads WHERE campaign_id = :campaign", campaign=campaign_id)
    if count != "1":
        raise SmokeFailure(f"the import gave {count} leads, not 1")
    print("smoke: one lead imported: ok", flush=True)
    page = admin.submit(admin.get("/campaigns/"), f"/campaigns/{campaign_id}/state", {"state": "running"})
    expect(page, f"Campaign {name} is now running", "the campaign is started")

    agent = Browser(args.url)
    expect(agent.submit(agent.get("/login"), "/login", {"username": "agent9001", "password": agent_password}),
           "Log out", "the agent logs in")
    panel = agent.get("/agent/")
    seat_id = id_in(panel, r'<option value="(\d+)">9001', "seat 9001 in the agent panel")
    page = agent.submit(panel, "/agent/login", {"seat_id": seat_id, "campaign_id": str(campaign_id)})
    expect(page, "Logging in", "the agent takes seat 9001 for the campaign")

    query = ("SELECT a.outcome || '|' || (a.bridged_at IS NOT NULL) FROM attempts a JOIN leads l ON "
             "l.id = a.lead_id WHERE l.campaign_id = :campaign AND a.ended_at IS NOT NULL")
    ended = wait_for("the runner's call to end", args.call_timeout,
                     lambda: psql(args.db, query, campaign=campaign_id))
    if ended.lower() != "connected|true":
        raise SmokeFailure(f"the attempt ended as {ended!r}, not connected with a bridge")
    print(f"smoke: the runner called {customer} and bridged the agent: attempt {ended}: ok", flush=True)
    expect(admin.get("/calls"), customer.lstrip("+")[-7:], "the call log shows the call")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the web admin, e.g. http://127.0.0.1:15080")
    parser.add_argument("--admin-password-file", required=True)
    parser.add_argument("--ami-secret", required=True, help="the node's AMI secret (AMI_SECRET)")
    parser.add_argument("--node", default="asterisk-a", help="its name and host on the network")
    parser.add_argument("--db", required=True, help="the database container (podman exec ... psql)")
    parser.add_argument("--call-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    try:
        run(args)
    except SmokeFailure as exc:
        print(f"smoke: FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
