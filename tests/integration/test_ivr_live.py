"""The admin's IVR menu on each PBX of the sandbox: the world calls the IVR's DID and presses keys.

The menu (made through the IVR page: a 1 s prompt uploaded as a CD-quality WAV, key 1 on to the
hotline queue, key 9 a callback request, 1 s to press, one retry, then what key 9 does, a channel
limit of 1) runs in the PBX's dialplan: rendered into the Asterisk node's dialplan that the runner
installs at its start, served to FreeSWITCH over mod_xml_curl by the web app. One caller presses an
unknown key (heard as invalid, the prompt again) and then nothing: after the retry the menu files
their callback request (listed under Missed callers). A second caller arriving meanwhile finds
the IVR's one channel taken: busy, counted on the IVR page. A third, once the first is gone,
presses 1 and reaches the hotline seat through the queue. A fourth, once the third is gone, hangs
up during the prompt. Each step the PBX reported (and the hang-up the runner saw) is counted per
option on the Reports page and the IVR page, fetched through the web app as a supervisor.
"""

from __future__ import annotations

import dataclasses
import html
import io
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from lab.sandbox.calls import answered, call_in, hang_up, press
from lab.sandbox.credentials import freeswitch_secrets, fs_phone_credentials
from lab.sandbox.fsrender import XML_CURL_NODE
from lab.sandbox.layout import provisioning_settings
from provisioning import prompts
from store import desk_queue
from store import models as m
from store.enums import CallDirection, DeskCommand, InboundTarget, PbxKind, QueueOutcome, UserRole
from store.types import utcnow
from tests.integration.campaign_kit import BOTH_PBXES, Kit, kit_on, web_client
from tests.integration.test_hotline_live import PHONES, inbound_call
from web.app import create_app

pytestmark = [pytest.mark.sandbox]

IVR_DID = {PbxKind.ASTERISK: "14005550420", PbxKind.FREESWITCH: "14005550421"}
QUEUE_DID = {PbxKind.ASTERISK: "14005550422", PbxKind.FREESWITCH: "14005550423"}
#: How long after the answer a caller presses: the prompt has begun (it plays for 1 s).
PROMPT_STARTED_S = 0.7


def prompt(tmp_path: Path) -> bytes:
    """A 1 s WAV as a recorder makes it (44.1 kHz stereo): the page converts it."""
    path = tmp_path / "welcome.wav"
    subprocess.run(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(path), "synth", "1.0", "sine",
                    "440", "vol", "0.3"], check=True, capture_output=True)
    return path.read_bytes()


def wait_answered(kit: Kit, channel: str, up: bool = True, timeout: float = 8.0) -> None:
    """Until the node answered the world's ``channel`` (``up``), or until an answered one is gone."""
    deadline = time.monotonic() + timeout
    while answered(kit.sandbox.world, channel) is not up:
        if time.monotonic() > deadline:
            raise AssertionError(f"{channel} {'never answered' if up else 'still up'}")
        time.sleep(0.1)
    if up:
        time.sleep(PROMPT_STARTED_S)  # not a measure: the caller waits for the prompt, as a person does


def _web_app(kit: Kit, tmp_path: Path):
    settings = dataclasses.replace(provisioning_settings(kit.sandbox.settings), database_url=kit.url,
                                   instance_dir=tmp_path / "web", secret_key="live-test",
                                   secrets_key=kit.secrets_key)
    return create_app(settings, TESTING=True)


@contextmanager
def serving_freeswitch(kit: Kit, tmp_path: Path) -> Iterator[None]:
    """The web app on the kit's database, answering the FreeSWITCH node's mod_xml_curl lookups as its
    node row (the sandbox phones as its seats, so they keep registering); Asterisk needs none."""
    if kit.kind is not PbxKind.FREESWITCH:
        yield
        return
    settings = kit.sandbox.settings
    with kit.sessions.begin() as s:
        secret = kit.sealer.seal(freeswitch_secrets(settings).esl_password)
        node = m.PbxNode(name=XML_CURL_NODE, kind=PbxKind.FREESWITCH, host="127.0.0.1",
                         port=settings.esl_port, secret=secret)
        s.add(node)
        s.flush()
        s.add_all(m.Seat(node_id=node.id, extension=c.extension, secret=kit.sealer.seal(c.secret))
                  for c in fs_phone_credentials(settings))
        for trunk in s.scalars(select(m.Trunk)):
            trunk.nodes.append(node)
    app = _web_app(kit, tmp_path)
    server = make_server(settings.web_host, settings.web_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(5)


def _setup(kit: Kit, tmp_path: Path, seat: int) -> int:
    """The hotline route and the IVR route with its menu, made on the IVR page; the menu's id."""
    kind = kit.kind
    with kit.sessions.begin() as s:
        trunk = kit.carrier_trunk(s, "world-ivr", [IVR_DID[kind], QUEUE_DID[kind]])
        queue = m.InboundRoute(name="hotline behind the IVR", did=QUEUE_DID[kind], trunk_id=trunk.id,
                               hotline_agent_ids=[seat], overflow_after_s=5, max_wait_s=30,
                               record_calls=False)
        s.add(queue)
        s.flush()
        queue_id, trunk_id = queue.id, trunk.id
    admin = web_client(kit, tmp_path, UserRole.ADMIN)
    form = {"name": "Welcome", "prompt": (io.BytesIO(prompt(tmp_path)), "welcome.wav"),
            "key_1": f"route:{queue_id}", "key_9": "callback", "timeout_s": "1", "retries": "1",
            "on_no_choice": "9", "channel_limit": "1"}
    response = admin.post("/admin/ivr", form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    with kit.sessions.begin() as s:
        menu_id = s.scalars(select(m.IvrMenu.id)).one()
        s.add(m.InboundRoute(name="400 IVR", did=IVR_DID[kind], trunk_id=trunk_id, target=InboundTarget.IVR,
                             ivr_id=menu_id))
        desk_queue.enqueue(s, m.DeskRequest(kind=DeskCommand.AGENT_LOGIN, node_id=kit.node_id, agent_id=seat))
        if kind is PbxKind.FREESWITCH:  # what provisioning writes beside the node's gateways
            gateways = Path(provisioning_settings(kit.sandbox.settings).freeswitch_gateways_dir)
            prompts.write_prompts(s, gateways.parent / prompts.FREESWITCH_PROMPTS)
    return menu_id


@BOTH_PBXES
def test_ivr_keys_retries_callback_and_channel_limit_then_a_key_to_the_hotline(sandbox, tmp_path, kind):
    kit = kit_on(sandbox, tmp_path, kind)
    [seat] = kit.agents(1, first=PHONES)
    menu_id = _setup(kit, tmp_path, seat)
    world = kit.sandbox.world
    with serving_freeswitch(kit, tmp_path):
        runner = kit.runner()
        runner.start()
        try:
            kit.wait_for("the hotline seat ready", lambda s: s.get(m.Agent, seat).state.value == "ready",
                         runner, timeout=15)
            first = call_in(world, kind, IVR_DID[kind], "12125550161")
            wait_answered(kit, first)
            press(world, first, "7")  # not offered: invalid, the prompt again; then no key
            second = call_in(world, kind, IVR_DID[kind], "12125550162")
            kit.wait_for("the second caller turned away busy",
                         lambda s: s.get(m.IvrMenu, menu_id).busy_count == 1, runner, timeout=8)
            kit.wait_for("the first caller's callback request after the retry",
                         lambda s: inbound_call(s, "12125550161") is not None, runner, timeout=12)
            wait_answered(kit, first, up=False)  # the callback message heard, the node hung up
            third = call_in(world, kind, IVR_DID[kind], "12125550163")
            wait_answered(kit, third)
            pressed = utcnow()  # before: an upper bound (the AMI action and the 250 ms key are in it)
            press(world, third, "1")
            kit.wait_for("the third caller answered by the hotline seat", lambda s: (
                c := inbound_call(s, "12125550163")) is not None and c.agent_id == seat, runner, timeout=8)
            with kit.sessions() as s:
                assert s.get(m.IvrMenu, menu_id).busy_count == 1  # the third was not turned away
            hang_up(world, first, second, third)
            kit.wait_for("the third caller's call ended", lambda s: (c := inbound_call(
                s, "12125550163")) is not None and c.ended_at is not None, runner, timeout=8)
            wait_answered(kit, third, up=False)
            fourth = call_in(world, kind, IVR_DID[kind], "12125550164")
            wait_answered(kit, fourth)
            hang_up(world, fourth)  # during the prompt
            kit.wait_for("the fourth caller's hang-up in the menu", lambda s: s.scalar(
                select(m.IvrEvent.id).where(m.IvrEvent.step == "hangup")) is not None, runner, timeout=8)
        finally:
            runner.stop()
            print(runner.tail(40))

    with kit.sessions() as s:
        asked, reached = inbound_call(s, "12125550161"), inbound_call(s, "12125550163")
        ivr_route = s.scalar(select(m.InboundRoute.id).where(m.InboundRoute.did == IVR_DID[kind]))
        assert (asked.direction, asked.queue_outcome, asked.route_id) == (
            CallDirection.INBOUND, QueueOutcome.CALLBACK, ivr_route)
        assert reached.queue_outcome is QueueOutcome.ANSWERED
        # Printed, not asserted (bench/ measures): the key to the queue's row, the key to the agent's bridge.
        queued_s = (reached.started_at.replace(tzinfo=pressed.tzinfo) - pressed).total_seconds()
        answered_s = (reached.answered_at.replace(tzinfo=pressed.tzinfo) - pressed).total_seconds()
        print(f"ivr ({kind}): key 1 -> queued {queued_s:.3f} s, -> answered {answered_s:.3f} s")
        assert reached.callee == QUEUE_DID[kind]
        assert inbound_call(s, "12125550162") is None  # turned away before any queue
        asked_id = asked.id
    qa = web_client(kit, tmp_path, UserRole.QA)
    assert f'id="missed-{asked_id}"' in qa.get("/inbound/missed").get_data(as_text=True)
    supervisor = web_client(kit, tmp_path, UserRole.SUPERVISOR)
    page = supervisor.get("/admin/ivr").get_data(as_text=True)
    assert f'<tr id="menu-{menu_id}">' in page
    assert '<td class="busy-count">1</td>' in page
    today = page[page.index('class="today"'):page.index("</ul>")]
    assert '<span class="visits">3 callers</span>' in today  # the busy one never entered
    reports = supervisor.get("/reports/").get_data(as_text=True)
    table = reports[reports.index(f'id="ivr-menu-{menu_id}"'):]
    rows = [tuple(html.unescape(c) for c in re.findall(r"<td>([^<]*)</td>", row))
            for row in re.findall(r"<tr>(.*?)</tr>", table[:table.index("</table>")], re.S) if "<td>" in row]
    print(f"ivr ({kind}): reports {rows}")
    # first: an unknown key, no key in time, no choice (key 9's callback); third: key 1; fourth: hung up
    assert rows == [("Key 1: to hotline behind the IVR", "1", "33.3%"),
                    ("No choice after the retries: a callback request", "1", "33.3%"),
                    ("Unknown key", "1", "33.3%"), ("No key in time", "1", "33.3%"),
                    ("Hung up in the menu", "1", "33.3%")]
    assert "Menu Welcome: 3 callers" in reports
    assert f'id="ivr-chart-{menu_id}"' in reports
    kit.close()
