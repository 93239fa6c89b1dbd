"""The IVR page: menus with an uploaded prompt (converted for the PBXes), keys, timeout, retries and a
channel limit; an inbound route answered by one; each node's dialplan renders it. Bad input gets a
clear message and changes nothing."""

from __future__ import annotations

import io
import wave
from base64 import b64encode

import pytest
from sqlalchemy import select

from store.enums import InboundTarget, PbxKind
from store.models import InboundRoute, IvrMenu, PbxNode, Trunk
from tests.web.test_inbound_routes import _form, world  # noqa: F401 - the trunk, its DIDs and two agents
from tests.web.test_trunks import admin as admin
from web.db import sealer, sessions


def wav(rate: int = 44100, channels: int = 2, seconds: float = 0.5) -> bytes:
    """A WAV as a recorder makes it (CD rate, stereo): a quiet square wave."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = int(rate * seconds)
        w.writeframes(b"".join((b"\x00\x10" if (i // 50) % 2 else b"\x00\xf0") * channels
                               for i in range(frames)))
    return out.getvalue()


def menu_form(prompt: bytes | None = None, name: str = "Main menu", **changes: object) -> dict[str, object]:
    form: dict[str, object] = {"name": name, "key_9": "callback", "key_0": "hangup", "timeout_s": "4",
                               "retries": "1", "on_no_choice": "", "channel_limit": "8", **changes}
    if prompt is not None:
        form["prompt"] = (io.BytesIO(prompt), "welcome.wav")
    return form


def post_menu(client, url: str, form: dict[str, object]):
    return client.post(url, form, content_type="multipart/form-data")


def _menus(app) -> list[IvrMenu]:
    with app.app_context(), sessions()() as s:
        return list(s.scalars(select(IvrMenu).order_by(IvrMenu.id)))


def test_a_menu_with_its_prompt_is_saved_rendered_and_answers_a_route(app, admin, world, tmp_path):  # noqa: F811
    trunk_id, agents = world
    assert admin.post("/admin/inbound", _form(trunk_id, agents)).status_code == 302
    with app.app_context(), sessions()() as s:
        queue_id = s.scalars(select(InboundRoute.id)).one()
    response = post_menu(admin, "/admin/ivr", menu_form(wav(), key_1=f"route:{queue_id}", on_no_choice="9"))
    assert response.status_code == 302, response.get_data(as_text=True)
    (menu,) = _menus(app)
    with app.app_context(), sessions()() as s:
        prompt = s.get(IvrMenu, menu.id).prompt
    with wave.open(io.BytesIO(prompt)) as w:  # what both PBXes play
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() == pytest.approx(4000, abs=10)
    assert menu.options == {"1": {"go": "route", "to": queue_id}, "9": {"go": "callback"},
                            "0": {"go": "hangup"}}
    assert (menu.timeout_s, menu.retries, menu.on_no_choice, menu.channel_limit) == (4, 1, "9", 8)
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "IVR menu Main menu saved" in page
    assert "now welcome.wav" in page

    route = _form(trunk_id, agents, name="400 IVR", did=f"{trunk_id}:+442071234568", target="ivr",
                  ivr_id=str(menu.id))
    response = admin.post("/admin/inbound", route)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context(), sessions()() as s:
        ivr_route = s.scalar(select(InboundRoute).where(InboundRoute.name == "400 IVR"))
        assert (ivr_route.target, ivr_route.ivr_id) == (InboundTarget.IVR, menu.id)
        assert (ivr_route.hotline_agent_ids, ivr_route.overflow_agent_ids) == ([], [])
    # Saving the route provisioned its trunk's node: the menu in its dialplan, the prompt beside it
    # (the node's AMI is on port 1: the reload fails and says so).
    etc = tmp_path / "etc"
    assert (etc / "sb-ivr" / f"menu-{menu.id}.wav").read_bytes() == prompt
    dialplan = (etc / "extensions-switchboard.conf").read_text()
    assert f"exten => 442071234568,1,Set(GROUP(sb-ivr)=menu-{menu.id})" in dialplan
    assert f"GROUP_COUNT(menu-{menu.id}@sb-ivr)}} > 8]" in dialplan
    assert f"Background(${{ASTETCDIR}}/sb-ivr/menu-{menu.id})" in dialplan
    assert "Called: 442071234567)" in dialplan  # key 1: on to the hotline's DID
    assert "400 IVR" in admin.get("/admin/ivr").get_data(as_text=True)  # the menu's route
    assert f">ivr: <a href=\"/admin/ivr/{menu.id}\">Main menu</a>" in admin.get("/admin/inbound").get_data(
        as_text=True)

    # A menu a route answers with is not deleted; the route gone, it is.
    assert admin.post(f"/admin/ivr/{menu.id}/delete").status_code == 302
    assert "route 400 IVR answers with this menu" in admin.get(f"/admin/ivr/{menu.id}").get_data(as_text=True)
    assert admin.post(f"/admin/inbound/{ivr_route.id}/delete").status_code == 302
    assert admin.post(f"/admin/ivr/{menu.id}/delete").status_code == 302
    assert _menus(app) == []
    assert f"Set(GROUP(sb-ivr)=menu-{menu.id})" not in (etc / "extensions-switchboard.conf").read_text()


def test_freeswitch_gets_the_menu_in_its_dialplan_lookup(app, admin, world, tmp_path):  # noqa: F811
    """The FreeSWITCH node's mod_xml_curl answer holds the route's DID with the hash limit and the menu's
    play_and_get_digits on the prompt, written beside the node's gateways when the route was saved."""
    trunk_id, agents = world
    assert post_menu(admin, "/admin/ivr", menu_form(wav(), channel_limit="1")).status_code == 302
    (menu,) = _menus(app)
    with app.app_context(), sessions().begin() as s:
        node = PbxNode(name="fs1", kind=PbxKind.FREESWITCH, host="127.0.0.1", port=1,
                       secret=sealer().seal("node-secret-123"))
        trunk = s.get(Trunk, trunk_id)
        trunk.nodes.append(node)
    route = _form(trunk_id, agents, target="ivr", ivr_id=str(menu.id))
    assert admin.post("/admin/inbound", route).status_code == 302
    auth = {"Authorization": "Basic " + b64encode(b"fs1:node-secret-123").decode()}
    body = admin.raw.post("/freeswitch/xml", data={"section": "dialplan", "Hunt-Context": "switchboard"},
                          headers=auth).get_data(as_text=True)
    assert f'data="hash sb ivr-{menu.id} 1 sb-ivr-busy-{menu.id} XML switchboard"' in body
    assert 'expression="^\\+?442071234567$"' in body
    prompts = tmp_path / "switchboard-ivr"
    assert f"{prompts}/menu-{menu.id}.wav " in body
    assert "sb_ivr_key ^[09]$" in body
    assert (prompts / f"menu-{menu.id}.wav").is_file()


@pytest.mark.parametrize(("changes", "message"), [
    ({"prompt": (b"%PDF-1.4 not a recording", "menu.pdf")}, "must be a WAV file (RIFF/WAVE)"),
    ({"prompt": (b"RIFF\x00\x00\x00\x00WAVEjunkjunk", "broken.wav")}, "could not be read as audio"),
    ({"key_9": "", "key_0": ""}, "at least one key"),
    ({"key_1": "route:987654"}, "key 1: pick an inbound route answered by a queue or a seat"),
    ({"key_1": "menu:987654"}, "key 1: unknown sub-menu"),
    ({"key_1": "dial:PJSIP/evil"}, "key 1: unknown choice"),
    ({"key_1": "route:1;Dial(PJSIP/evil)"}, "key 1: pick an inbound route answered by a queue or a seat"),
    ({"timeout_s": "5\nexten => evil"}, "time to press a key (seconds): a whole number from 1 to 60"),
    ({"retries": "10"}, "retries: a whole number from 0 to 9"),
    ({"channel_limit": "0"}, "channel limit: a whole number from 1 to 999"),
    ({"on_no_choice": "5"}, "key 5 does nothing in this menu"),
    ({"name": "Main\n[sb-evil]"}, "name: 1 to 64 printable characters"),
])
def test_bad_menus_get_a_clear_message_and_change_nothing(app, admin, changes, message):
    form = menu_form(wav())
    if "prompt" in changes:
        data, name = changes["prompt"]
        form["prompt"] = (io.BytesIO(data), name)
    form.update({k: v for k, v in changes.items() if k != "prompt"})
    response = post_menu(admin, "/admin/ivr", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    assert _menus(app) == []


def test_a_new_menu_needs_its_prompt(app, admin):
    response = post_menu(admin, "/admin/ivr", menu_form(None))
    assert response.status_code == 400
    assert "upload the menu&#39;s prompt (a WAV file)" in response.get_data(as_text=True)


def test_menus_that_only_lead_to_each_other_are_refused(app, admin):
    """A sub-menu loop is fine while a key somewhere leaves it; one with no way out is not saved."""
    assert post_menu(admin, "/admin/ivr", menu_form(wav(), name="Sales")).status_code == 302
    (sales,) = _menus(app)
    assert post_menu(admin, "/admin/ivr", menu_form(wav(), name="Main", key_9="", key_0="",
                                                    key_1=f"menu:{sales.id}")).status_code == 302
    main = _menus(app)[1]
    # Sales back to Main, keeping its callback key: a loop with a way out.
    ok = post_menu(admin, f"/admin/ivr/{sales.id}", menu_form(None, name="Sales", key_1=f"menu:{main.id}"))
    assert ok.status_code == 302
    # Sales only back to Main: neither could be left by a key.
    refused = post_menu(admin, f"/admin/ivr/{sales.id}", menu_form(None, name="Sales", key_9="", key_0="",
                                                                  key_1=f"menu:{main.id}"))
    assert refused.status_code == 400
    assert "could only go round the menus" in refused.get_data(as_text=True)
    assert _menus(app)[0].options == {"1": {"go": "menu", "to": main.id}, "9": {"go": "callback"},
                                      "0": {"go": "hangup"}}
    # A sub-menu in use is not deleted.
    assert admin.post(f"/admin/ivr/{sales.id}/delete").status_code == 302
    assert "menu Main has it as a sub-menu" in admin.get("/admin/ivr").get_data(as_text=True)
    assert len(_menus(app)) == 2


def test_the_ivr_page_is_for_admins_and_supervisors(app, as_role):
    assert as_role("sup").get("/admin/ivr").status_code == 200
    for role in ("qa", "agent1"):
        client = as_role(role)
        assert client.get("/admin/ivr").status_code == 403
        assert post_menu(client, "/admin/ivr", menu_form(wav())).status_code == 403
    assert _menus(app) == []


def test_the_busy_count_shows_on_the_ivr_page(app, admin):
    assert post_menu(admin, "/admin/ivr", menu_form(wav())).status_code == 302
    (menu,) = _menus(app)
    with app.app_context(), sessions().begin() as s:
        s.get(IvrMenu, menu.id).busy_count = 3  # what the runner counts from the PBX's reports
    page = admin.get("/admin/ivr").get_data(as_text=True)
    assert f'<tr id="menu-{menu.id}">' in page
    assert '<td class="busy-count">3</td>' in page
