"""The sandbox's real FreeSWITCH 1.10.12 node (``switchboard pbx sandbox up --kind freeswitch``).

Calls go out through the node's ``world`` gateway to the Asterisk world (the
same carrier the Asterisk pbx uses), commands are rendered by the project's
ESL renderer, routes come from the project's dialplan, and what the far end
hears is checked on FreeSWITCH's own events on an independent socket.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace

import pytest
from werkzeug.serving import make_server

from esl import oneshot
from esl.render import DialConfig, render
from lab.amd import freeswitch_call
from lab.campaign import random_area_code
from lab.sandbox import cli as sandbox_cli
from lab.sandbox import fscli, fsnode, fsrender, process
from lab.sandbox.credentials import freeswitch_secrets
from lab.sandbox.layout import nodes
from lab.sandbox.world import Outcome, world_number
from orchestrator import commands as c
from provisioning import freeswitch
from settings import Settings, load_settings
from store import migrate
from store.enums import PbxKind
from store.models import PbxNode, Seat
from tests.integration.eslevents import EventSocket
from tests.integration.test_sandbox import _alive
from web.app import create_app
from web.db import sealer, sessions

pytestmark = pytest.mark.sandbox

ANSWER_S = 20.0
PROMPT_S = 15.0


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = load_settings()
    sandbox_cli.up(settings, "freeswitch")
    return settings


@pytest.fixture
def esl(settings: Settings):
    with EventSocket("127.0.0.1", settings.esl_port, freeswitch_secrets(settings).esl_password) as sock:
        assert sock.send("event plain ALL").get("Reply-Text").startswith("+OK")
        yield sock


def of(channel: str, name: str, subclass: str = ""):
    return lambda e: e.get("Unique-ID") == channel and e.name == name and (
        not subclass or e.subclass == subclass)


def originate_human(esl: EventSocket, route: str = "sb-outbound", **variables: str) -> str:
    """Dial a world number that answers as a person, through the gateway, as the runner would."""
    channel = str(uuid.uuid4())
    number = world_number(Outcome.HUMAN, 0, 0, area_code=random_area_code())
    cmd = c.Originate(attempt_id="1", channel_id=channel, route=route, timeout_s=ANSWER_S,
                      endpoint=c.Endpoint(c.EndpointKind.TRUNK, fsnode.GATEWAY, number), variables=variables)
    request = render(cmd, DialConfig(), job_uuid=str(uuid.uuid4()))
    assert request.text.split()[2].endswith(f"}}sofia/gateway/world/{number}")
    assert esl.send(request.text).get("Reply-Text").startswith("+OK Job-UUID")
    job = esl.wait_for(lambda e: e.name == "BACKGROUND_JOB" and e.get("Job-UUID") == request.job_uuid,
                       ANSWER_S)
    assert job.body.strip() == f"+OK {channel}", job.body
    esl.wait_for(of(channel, "CHANNEL_ANSWER"), ANSWER_S)
    return channel


def test_esl_accepts_the_generated_password_only(settings: Settings) -> None:
    assert "UP" in fsnode.esl_api(settings, "status")
    with pytest.raises(oneshot.EslUnavailable, match="refused"):
        oneshot.api("127.0.0.1", settings.esl_port, "ClueCon", "status")


def test_the_worlds_phones_register_to_freeswitch(settings: Settings) -> None:
    assert fscli.missing_phones(settings) == []


def test_an_originate_through_the_world_gateway_is_answered_and_parked(esl: EventSocket) -> None:
    channel = originate_human(esl)
    answer = esl.wait_for(of(channel, "CHANNEL_ANSWER"), 1)
    assert answer.get("variable_sip_to_host", "").startswith("127.0.0.3") or "world" in answer.get(
        "Channel-Name")
    esl.wait_for(of(channel, "CHANNEL_PARK"), ANSWER_S)  # the project's sb-outbound route ran
    assert esl.api(f"uuid_kill {channel}").startswith("+OK")
    done = esl.wait_for(of(channel, "CHANNEL_HANGUP_COMPLETE"), ANSWER_S)
    assert done.get("Hangup-Cause") == "NORMAL_CLEARING"


TONE = "tone_stream://%(1000,500,480,620);loops=2"  # a campaign sound with no file at all


@pytest.mark.parametrize("campaign_sound", ["", "file", "tone"], ids=["default", "campaign-file", "tone"])
def test_an_abandoned_call_hears_the_abandon_message(settings: Settings, esl: EventSocket,
                                                     campaign_sound: str) -> None:
    prompt = str(fscli.current(settings).dir("sounds") / freeswitch.DEFAULT_ABANDON_SOUND)
    sound = {"": "", "file": prompt, "tone": TONE}[campaign_sound]
    channel = originate_human(esl, **({"sb_abandon_sound": sound} if sound else {}))
    esl.wait_for(of(channel, "CHANNEL_PARK"), ANSWER_S)
    # No agent free: the core sends the customer to the abandon route (as the runner does).
    assert esl.api(render(c.Redirect(channel, "sb-abandon"), DialConfig()).text[4:]).startswith("+OK")
    esl.wait_for(of(channel, "CUSTOM", "switchboard::abandon"), PROMPT_S)
    start = esl.wait_for(of(channel, "PLAYBACK_START"), PROMPT_S)
    assert start.get("Playback-File-Path").endswith(sound or freeswitch.DEFAULT_ABANDON_SOUND)
    stop = esl.wait_for(of(channel, "PLAYBACK_STOP"), PROMPT_S)
    assert stop.get("Playback-Status") == "done", stop.headers
    assert int(stop.get("variable_playback_ms", "0")) > 2000  # the whole prompt, not an error
    done = esl.wait_for(of(channel, "CHANNEL_HANGUP_COMPLETE"), PROMPT_S)
    assert done.get("Hangup-Cause") == "NORMAL_CLEARING"


def test_seats_come_from_the_web_app_over_mod_xml_curl(settings: Settings, tmp_path) -> None:
    """The node asks the real web app (its configured ``/freeswitch/xml``, with the node row's secret) for
    its seats; the database is their authority while the web app runs, the static copy only when it is
    down."""
    web = replace(settings, instance_dir=tmp_path, database_url="", secret_key="test")
    migrate.upgrade(web.sqlalchemy_url, "head")
    app = create_app(web)
    with app.app_context(), sessions()() as s:
        node = PbxNode(name=fsrender.XML_CURL_NODE, kind=PbxKind.FREESWITCH, host="127.0.0.1",
                       port=settings.esl_port,
                       secret=sealer().seal(freeswitch_secrets(settings).esl_password))
        s.add(node)
        s.flush()
        s.add_all([Seat(node_id=node.id, extension="fsweb9001", secret=sealer().seal("seat-secret-9001")),
                   Seat(node_id=node.id, extension="fsweb9002", secret=sealer().seal("seat-secret-9002"),
                        enabled=False)])
        s.commit()
    exists = f"user_exists id {{}} {settings.freeswitch_address}"
    assert fsnode.esl_api(settings, exists.format("fsweb9001")) == "false"  # not in the static directory
    server = make_server(settings.web_host, settings.web_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert fsnode.esl_api(settings, exists.format("fsweb9001")) == "true"
        assert fsnode.esl_api(settings, exists.format("fsweb9002")) == "false"  # disabled in the database
        assert fsnode.esl_api(settings, exists.format("fsagent001")) == "false"  # static only, not a seat
    finally:
        server.shutdown()
        thread.join(5)
    assert fsnode.esl_api(settings, exists.format("fsagent001")) == "true"  # the web app is down: static
    assert fsnode.esl_api(settings, exists.format("fsweb9001")) == "false"


def test_sb_outbound_classes_the_world_s_human_and_machine_by_their_greeting(settings: Settings) -> None:
    """The route's detect_audio/detect_silence reports, through the translator and the core's classifier."""
    area = random_area_code()
    human = freeswitch_call(settings, world_number(Outcome.HUMAN, 0, 1, area_code=area))
    assert (human.verdict, [cue for cue, _ in human.cues]) == ("HUMAN", ["speech", "silence"]), human
    machine_number = world_number(Outcome.MACHINE, 0, 2, area_code=area)
    machine = freeswitch_call(settings, machine_number, listen_s=ANSWER_S)
    cues = [cue for cue, _ in machine.cues]
    assert (machine.verdict, cues) == ("MACHINE", ["speech", "no_silence"]), machine
    assert machine.cause.startswith("LONGGREETING")
    assert machine.beep_ms is not None
    assert machine.beep_ms > machine.decision_ms


def test_sb_outbound_runs_no_detection_without_sb_amd(esl: EventSocket) -> None:
    channel = originate_human(esl, sb_amd="no")
    esl.wait_for(lambda e: e.get("Unique-ID") == channel and e.get("Application") == "park"
                 and e.name == "CHANNEL_EXECUTE", PROMPT_S)
    ran = {e.get("Application") for e in esl.events(of(channel, "CHANNEL_EXECUTE"))}
    assert ran == {"set", "park"}
    assert not esl.events(of(channel, "CUSTOM", "switchboard::amd"))
    esl.api(f"uuid_kill {channel}")


def test_up_is_idempotent_and_down_stops_the_node_alone(settings: Settings) -> None:
    asterisk = {name: process.pid(node) for name, node in nodes(settings).items()}
    first = fscli.pid(settings)
    sandbox_cli.up(settings, "freeswitch")
    assert fscli.pid(settings) == first  # running: only checked

    sandbox_cli.down(settings, "freeswitch")
    assert fscli.pid(settings) is None
    assert not _alive(first)
    assert {name: process.pid(node) for name, node in nodes(settings).items()} == asterisk

    sandbox_cli.up(settings, "freeswitch")
    assert fscli.pid(settings) not in (None, first)
    assert fscli.missing_phones(settings) == []
    assert "UP" in fsnode.esl_api(settings, "status")
