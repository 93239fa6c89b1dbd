"""Survey prompts uploaded as recordings, through the campaign and inbound route forms: converted to
8 kHz mono 16-bit WAV (the IVR prompts' conversion), kept with the row, written to every node's prompts
directory (Asterisk beside its config, FreeSWITCH beside its gateways) where each dialplan plays it in
place of the named sound; the runner passes its name on the call. A file that is not a WAV, is too big
or is no audio refuses the whole form: nothing saved, no file written, the recording kept before
still in use."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from runner.campaign_config import survey_config
from store.enums import PbxKind
from store.models import Campaign, InboundRoute, PbxNode
from tests.web.test_campaigns import FORM
from tests.web.test_inbound_routes import _form, world  # noqa: F401 - the trunk, its DIDs and two agents
from tests.web.test_ivr_menus import wav
from tests.web.test_trunks import admin as admin
from web.db import sealer, sessions
from web.prompts import MAX_PROMPT_BYTES

SURVEY = {"survey_enabled": "on", "survey_sound": "", "survey_second_sound": "", "survey_low_below": "3"}


@pytest.fixture
def nodes(app, admin, tmp_path) -> dict[PbxKind, Path]:
    """The admin's Asterisk node and a FreeSWITCH node: where each one's prompts go."""
    with app.app_context(), sessions().begin() as s:
        s.add(PbxNode(name="fs1", kind=PbxKind.FREESWITCH, host="127.0.0.1", port=1,
                      secret=sealer().seal("node-secret-123")))
    return {PbxKind.ASTERISK: tmp_path / "etc" / "sb-ivr", PbxKind.FREESWITCH: tmp_path / "switchboard-ivr"}


def _post(client, url: str, form: dict[str, object], **files: tuple[bytes, str]):
    data = {**form, **{field: (io.BytesIO(content), name) for field, (content, name) in files.items()}}
    return client.post(url, data, content_type="multipart/form-data")


def _campaign(app) -> Campaign | None:
    with app.app_context(), sessions()() as s:
        row = s.scalar(select(Campaign).where(Campaign.name == FORM["name"]))
        if row is not None:
            s.refresh(row, ["survey_prompt", "survey_second_prompt"])  # deferred: loaded for the test
        return row


def _files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_a_recorded_question_is_converted_kept_and_written_to_every_node(app, admin, nodes):
    response = _post(admin, "/campaigns/new", {**FORM, **SURVEY},
                     survey_prompt=(wav(seconds=1.0), "rate-us.wav"))
    assert response.status_code == 302, response.get_data(as_text=True)
    c = _campaign(app)
    assert c is not None
    assert c.survey_prompt is not None
    with wave.open(io.BytesIO(c.survey_prompt)) as w:  # what both PBXes play
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() == pytest.approx(8000, abs=10)
    assert (c.survey_prompt_name, c.survey_second_prompt) == ("rate-us.wav", None)
    assert c.survey_second_prompt_name == ""
    name = f"survey-campaign-{c.id}-1"
    for directory in nodes.values():
        assert _files(directory) == [f"{name}.wav"]  # no temporary file left beside it
        assert (directory / f"{name}.wav").read_bytes() == c.survey_prompt
    # The runner names it on the call; the nodes' dialplans find it in their prompts directory.
    assert survey_config(c).variables() == {"sb_survey_prompt": name}
    page = admin.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert "Recording in use: <strong>rate-us.wav</strong>" in page

    # Saved again without a file: the recording stays; a new one replaces it; "remove" drops it.
    assert _post(admin, f"/campaigns/{c.id}", {**FORM, **SURVEY}).status_code == 302
    assert _campaign(app).survey_prompt == c.survey_prompt
    shorter = wav(seconds=0.5)
    assert _post(admin, f"/campaigns/{c.id}", {**FORM, **SURVEY},
                 survey_prompt=(shorter, "short.wav")).status_code == 302
    kept = _campaign(app)
    assert kept.survey_prompt_name == "short.wav"
    assert (nodes[PbxKind.ASTERISK] / f"{name}.wav").read_bytes() == kept.survey_prompt != c.survey_prompt
    removed = _post(admin, f"/campaigns/{c.id}", {**FORM, **SURVEY, "survey_prompt_remove": "on"})
    assert removed.status_code == 302
    gone = _campaign(app)
    assert (gone.survey_prompt, gone.survey_prompt_name) == (None, "")
    assert [_files(d) for d in nodes.values()] == [[], []]
    assert survey_config(gone).variables() == {}


TOO_BIG = b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * MAX_PROMPT_BYTES


@pytest.mark.parametrize(("upload", "message"), [
    ((b"%PDF-1.4 not a recording", "rate-us.pdf"),
     "the question&#39;s recording must be a WAV file (RIFF/WAVE)"),
    ((TOO_BIG, "huge.wav"), "the question&#39;s recording must be a WAV file under 5 MB"),
    ((b"RIFF\x00\x00\x00\x00WAVEjunkjunk", "broken.wav"), "could not be read as audio"),
    ((wav(seconds=0.01), "click.wav"), "is empty"),
])
def test_a_bad_recording_refuses_the_form_and_nothing_is_saved_or_written(app, admin, nodes, upload, message):
    # A new campaign: not created.
    response = _post(admin, "/campaigns/new", {**FORM, **SURVEY}, survey_prompt=upload)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _campaign(app) is None
    assert [_files(d) for d in nodes.values()] == [[], []]
    # A campaign with a recording: the bad one changes nothing (the other fields neither).
    assert _post(admin, "/campaigns/new", {**FORM, **SURVEY},
                 survey_prompt=(wav(), "rate-us.wav")).status_code == 302
    before = _campaign(app)
    response = _post(admin, f"/campaigns/{before.id}", {**FORM, **SURVEY, "survey_low_below": "5"},
                     survey_prompt=upload)
    assert response.status_code == 400
    after = _campaign(app)
    assert (after.survey_prompt, after.survey_prompt_name, after.survey_low_below) == (
        before.survey_prompt, "rate-us.wav", 3)
    for directory in nodes.values():
        assert (directory / f"survey-campaign-{before.id}-1.wav").read_bytes() == before.survey_prompt


def test_an_inbound_route_records_its_second_question(app, admin, world, nodes):  # noqa: F811
    trunk_id, agents = world
    assert admin.post("/admin/inbound", _form(trunk_id, agents)).status_code == 302
    with app.app_context(), sessions()() as s:
        route_id = s.scalars(select(InboundRoute.id)).one()
    response = _post(admin, f"/admin/inbound/{route_id}", {**_form(trunk_id, agents), **SURVEY},
                     survey_second_prompt=(wav(rate=16000, channels=1), "again.wav"))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        route = s.get(InboundRoute, route_id)
        assert (route.survey_prompt_name, route.survey_second_prompt_name) == ("", "again.wav")
        data = route.survey_second_prompt
        variables = survey_config(route).variables()
    name = f"survey-route-{route_id}-2"
    assert variables == {"sb_survey_second_prompt": name}  # asks the second question
    for directory in nodes.values():
        assert (directory / f"{name}.wav").read_bytes() == data
    page = admin.get(f"/admin/inbound/{route_id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "Recording in use: <strong>again.wav</strong>" in page
    bad = _post(admin, f"/admin/inbound/{route_id}", {**_form(trunk_id, agents), **SURVEY},
                survey_prompt=(b"ID3 an mp3", "question.mp3"))
    assert bad.status_code == 400
    assert "the question&#39;s recording must be a WAV file" in bad.get_data(as_text=True)
    assert [_files(d) for d in nodes.values()] == [[f"{name}.wav"]] * 2
