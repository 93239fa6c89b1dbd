"""The real Asterisk sandbox: AMI on the pbx, calls through the trunk to the world, phones, up/down."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from ami.session import AmiSession, ami_session, event_of
from lab.sandbox import cli as sandbox_cli
from lab.sandbox import ports, process
from lab.sandbox.layout import nodes, paths
from lab.sandbox.world import OUTCOME_HEADER, Outcome, outcome_header, trunk_dial, world_number
from switchboard.cli import main

pytestmark = pytest.mark.sandbox


def test_ami_login_and_core_status(sandbox):
    async def scenario():
        async with ami_session(sandbox.pbx) as ami:
            reply = await ami.action({"Action": "CoreStatus"})
            assert reply.success
            assert int(reply["CoreCurrentCalls"]) >= 0
            assert reply["CoreStartupTime"]

    asyncio.run(scenario())


async def _originate(ami: AmiSession, channel: str, *variables: str, wait_s: int = 30) -> str:
    """Originate ``channel`` into Wait(wait_s); returns the channel's Uniqueid."""
    uniqueid = str(uuid.uuid4())
    action = {"Action": "Originate", "Channel": channel, "Application": "Wait", "Data": str(wait_s),
              "Async": "true", "ChannelId": uniqueid, "Timeout": "20000"}
    if variables:
        action["Variable"] = list(variables)
    reply = await ami.action(action, as_list=False)
    assert reply.success, reply
    return uniqueid


@pytest.mark.parametrize(("outcome", "talk_s", "cause", "answered"), [
    (Outcome.HUMAN, 2, "16", True),
    (Outcome.MACHINE, 2, "16", True),
    (Outcome.BUSY, 0, "17", False),
    (Outcome.CONGESTION, 0, "34", False),
    (Outcome.UNALLOCATED, 0, "1", False),
    (Outcome.NO_ANSWER, 1, "19", False),
])
def test_world_outcome_by_number(sandbox, outcome, talk_s, cause, answered):
    async def scenario():
        async with ami_session(sandbox.pbx) as ami:
            uniqueid = await _originate(ami, trunk_dial(world_number(outcome, talk_s, serial=1)))
            hangup = await ami.wait_event(event_of("Hangup", uniqueid), timeout=20)
            assert hangup["Cause"] == cause, hangup
            went_up = any(m.get("Event") == "Newstate" and m.get("Uniqueid") == uniqueid
                          and m.get("ChannelStateDesc") == "Up" for m in ami.seen)
            assert went_up is answered

    asyncio.run(scenario())


def test_outcome_header_overrides_number(sandbox):
    async def scenario():
        async with ami_session(sandbox.pbx) as ami:
            human = trunk_dial(world_number(Outcome.HUMAN, 30, serial=2))
            header = f"PJSIP_HEADER(add,{OUTCOME_HEADER})={outcome_header(Outcome.BUSY)}"
            uniqueid = await _originate(ami, human, header)
            hangup = await ami.wait_event(event_of("Hangup", uniqueid), timeout=20)
            assert hangup["Cause"] == "17", hangup

    asyncio.run(scenario())


def test_agent_phones_registered(sandbox):
    async def scenario():
        async with ami_session(sandbox.pbx) as ami:
            listing = await ami.action({"Action": "PJSIPShowContacts"})
            # ContactList names the seat in Endpoint (and ObjectName "aor;@hash"); there is no Aor header.
            registered = {m["Endpoint"] for m in listing if m.get("Event") == "ContactList"}
            phones = {f"agent{i:03d}" for i in range(1, sandbox.settings.sandbox_phones + 1)}
            assert phones <= registered

    asyncio.run(scenario())


def test_agent_phone_answers_with_audio_recorded_on_pbx(sandbox):
    """A call to a phone is answered; MixMonitor writes a non-silent file the host can read."""
    where = paths(sandbox.settings)
    phone = f"agent{sandbox.settings.sandbox_phones:03d}"  # the last one: campaign tests start at agent001
    name = f"sandbox-test-{uuid.uuid4()}.wav"

    async def scenario():
        async with ami_session(sandbox.pbx) as ami:
            uniqueid = await _originate(ami, f"PJSIP/{phone}", wait_s=3)
            up = await ami.wait_event(lambda m: event_of("Newstate", uniqueid)(m)
                                      and m.get("ChannelStateDesc") == "Up")
            reply = await ami.action({"Action": "MixMonitor", "Channel": up["Channel"],
                                      "File": f"{where.recordings_dir_in_pbx}/{name}"})
            assert reply.success, reply
            await ami.wait_event(event_of("Hangup", uniqueid))  # our Wait(3) ended: cause 0, ours

    asyncio.run(scenario())
    recording = where.recordings_dir / name
    try:
        stat = subprocess.run(["sox", str(recording), "-n", "stat"],
                              capture_output=True, text=True, check=True)
        rms = float(next(line.split(":")[1] for line in stat.stderr.splitlines()
                         if line.startswith("RMS     amplitude")))
        assert rms > 0.001, stat.stderr
    finally:
        recording.unlink(missing_ok=True)


def _free_tcp_ports(count: int) -> list[int]:
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:  # all bound at once: distinct ports
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


@pytest.fixture
def second_sandbox(sandbox, tmp_path):
    """Another sandbox from the same cached root, on its own addresses, ports and state dir.

    Addresses and ports differ per test process, so that concurrent test runs on one
    machine do not collide.
    """
    net = 100 + os.getpid() % 150
    ami_port, world_ami_port = _free_tcp_ports(2)
    settings = replace(sandbox.settings, sandbox_state=tmp_path / "sandbox", pbx_address=f"127.0.{net}.2",
                       world_address=f"127.0.{net}.3", ami_port=ami_port, world_ami_port=world_ami_port,
                       ami_secret="", sandbox_phones=2)
    yield settings
    sandbox_cli.down(settings)
    shutil.rmtree(nodes(settings)["pbx"].host_base.parent, ignore_errors=True)  # its files inside the root


def _pids(settings) -> dict[str, int | None]:
    return {name: process.pid(node) for name, node in nodes(settings).items()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def test_up_is_idempotent_restart_keeps_phones_and_down_leaves_nothing(second_sandbox):
    sandbox_cli.up(second_sandbox)
    first = _pids(second_sandbox)
    assert all(first.values())
    sandbox_cli.up(second_sandbox)
    assert _pids(second_sandbox) == first

    new_pbx = sandbox_cli.restart(second_sandbox, "pbx")
    assert new_pbx != first["pbx"] and not _alive(first["pbx"])
    assert sandbox_cli.registered_phones(second_sandbox) == (2, 2)

    started = [*_pids(second_sandbox).values()]
    sandbox_cli.down(second_sandbox)
    assert not any(_alive(pid) for pid in started)
    assert not any(node.pidfile.exists() for node in nodes(second_sandbox).values())


def test_phones_come_back_after_a_pbx_restart_that_lost_its_contacts(second_sandbox):
    """The DESIGN's trap: a pbx without its contact database would wait for the phones' next refresh."""
    sandbox_cli.up(second_sandbox)
    pbx = nodes(second_sandbox)["pbx"]
    sandbox_cli.stop_instance(second_sandbox, "pbx")
    shutil.rmtree(pbx.host_base / "db")
    (pbx.host_base / "db").mkdir()
    sandbox_cli.start_instance(second_sandbox, "pbx")
    assert sandbox_cli.registered_phones(second_sandbox) == (2, 2)


def test_taken_port_is_reported_by_the_cli_and_nothing_started(second_sandbox, tmp_path):
    env = {"SWITCHBOARD_INSTANCE_DIR": str(tmp_path / "instance")} | {
        f"SWITCHBOARD_{name.upper()}": str(getattr(second_sandbox, name))
        for name in ("sandbox_cache", "sandbox_state", "pbx_address", "world_address", "ami_port",
                     "world_ami_port", "sip_port", "sandbox_phones")
    }
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((second_sandbox.pbx_address, second_sandbox.sip_port))
        result = CliRunner().invoke(main, ["pbx", "sandbox", "up"], env=env)
    assert result.exit_code == 1
    assert f"{second_sandbox.pbx_address}:{second_sandbox.sip_port}/udp" in result.output
    assert f"pid {os.getpid()}" in result.output  # the squatter is named, and left alone
    assert _pids(second_sandbox) == {"pbx": None, "world": None}


def test_a_taken_port_names_the_process_on_that_very_address(second_sandbox):
    """Several instances share a port on different addresses: the report names the one in the way."""
    recorded = ('UNCONN 0      0      127.0.0.3:5060 0.0.0.0:* users:(("asterisk",pid=18077,fd=15))\n'
                'UNCONN 0      0      127.0.0.2:5060 0.0.0.0:* users:(("asterisk",pid=18025,fd=15))\n')
    assert ports.holder(recorded, ports.Binding("udp", "127.0.0.2", 5060, "")) == "asterisk (pid 18025)"
    assert ports.holder(recorded, ports.Binding("udp", "127.0.9.2", 5060, "")) == ""
    wildcard = 'UNCONN 0      0      0.0.0.0:5060 0.0.0.0:* users:(("kamailio",pid=7,fd=3))\n'
    elsewhere = ports.Binding("udp", "127.0.9.2", 5060, "")
    assert ports.holder(recorded + wildcard, elsewhere) == "kamailio (pid 7)"

    pbx_sip = ports.bindings(second_sandbox, "pbx")[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((pbx_sip.host, pbx_sip.port))
        assert ports.owner(pbx_sip).endswith(f"(pid {os.getpid()})")


def test_a_process_is_stopped_only_when_its_last_thread_has_let_go_of_its_ports():
    """Asterisk's main thread ends first: it then reads as a zombie with an empty command line while
    its other threads still hold its sockets. A restart must wait for those, not for the main thread."""
    code = textwrap.dedent("""
        import ctypes, socket, sys, threading
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        threading.Thread(target=sys.stdin.read).start()  # keeps the process and socket until stdin closes
        print(sock.getsockname()[1], flush=True)
        ctypes.CDLL(None).syscall(60, 0)  # exit(2): only the main thread ends
    """)
    child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        held = ports.Binding("udp", "127.0.0.1", int(child.stdout.readline()), "test")
        started = process.start_time(child.pid)
        deadline = time.monotonic() + 10
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the main thread did not exit"
            time.sleep(0.02)
        assert Path(f"/proc/{child.pid}/cmdline").read_bytes() == b""  # what the old check took for gone
        assert process.threads_running(child.pid, started)
        assert not ports.is_free(held)
        child.stdin.close()
        child.wait(10)
        assert not process.threads_running(child.pid, started)
        assert ports.is_free(held)
    finally:
        child.kill()
        child.wait()
