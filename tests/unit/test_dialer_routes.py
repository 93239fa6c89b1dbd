"""The routes and channel variables the core names exist in the rendered dialplan templates."""

import re
from pathlib import Path

from ami.render import PLAY_SOUND_VAR
from orchestrator import fax, monitor
from orchestrator.commands import ATTEMPT_VAR
from orchestrator.dialer import routes
from orchestrator.quality import survey

TEMPLATES = Path(__file__).resolve().parents[2] / "dialplans"


def test_every_route_the_core_names_is_rendered():
    from dialplans.render import ROUTES

    assert set(routes.ALL) == set(ROUTES)


def test_asterisk_templates_only_read_variables_the_core_sets():
    text = (TEMPLATES / "asterisk" / "extensions-switchboard.conf.j2").read_text()
    for route in (*routes.ALL, monitor.ROUTE, survey.ROUTE, routes.AFTER_BRIDGE):
        assert f"[{route}]" in text
    used = set(re.findall(r"\$\{(sb_[a-z_]+)\}", text))
    # sb_play_sound is set by the AMI adapter itself when it renders a Play command.
    ours = {value for name, value in vars(routes).items() if name.startswith("VAR_")} | {ATTEMPT_VAR}
    ours |= {PLAY_SOUND_VAR, fax.VAR_FAX_FILE, fax.VAR_FAX_CALLED, monitor.VAR_TARGET, monitor.VAR_MODE,
             survey.VAR_SOUND, survey.VAR_SECOND, survey.VAR_AFTER_BRIDGE,
             survey.VAR_PROMPT, survey.VAR_SECOND_PROMPT}
    set_here = set(re.findall(r"Set\((sb_[a-z_]+)=", text))  # the IVR menus keep their own (key tries, DID)
    assert used
    assert used - set_here <= ours


def test_every_signal_the_freeswitch_routes_fire_is_subscribed_by_the_esl_adapter():
    """A ``switchboard::<name>`` the dialplan fires but the connection does not subscribe never arrives."""
    from esl.translate import SIGNALS

    text = (TEMPLATES / "freeswitch" / "context.xml.j2").read_text()
    fired = set(re.findall(r"Event-Subclass=switchboard::([a-z_]+)", text))
    assert routes.SIGNAL_CONFIRMED in fired
    # The queue's "queued" and "closed" reports are for the PBX's own event stream: no core code reads them.
    assert fired - {"queued", "closed"} <= set(SIGNALS)
