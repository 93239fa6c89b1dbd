"""The rendered Asterisk dialplan defines every route the core names, and the admin's IVR menus."""

import re
import xml.etree.ElementTree as ET

import pytest

from dialplans.ivr import CALLBACK, HANGUP, MENU, ROUTE, IvrConf, IvrEntry, IvrOption, IvrPlan
from dialplans.render import ROUTES, AmdTuning, DialplanParams, render_asterisk, write_atomically
from provisioning import freeswitch


def test_every_core_route_is_a_context():
    text = render_asterisk()["extensions-switchboard.conf"]
    for route in (*ROUTES, "sb-play"):
        assert f"[{route}]" in text


def test_amd_tuning_is_rendered():
    text = render_asterisk(DialplanParams(amd=AmdTuning(silence_threshold=600)))["amd.conf"]
    assert "silence_threshold = 600" in text


def test_write_atomically_reports_only_changes(tmp_path):
    files = render_asterisk()
    assert sorted(write_atomically(tmp_path, files)) == sorted(files)
    assert write_atomically(tmp_path, files) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_amd_arguments_are_the_rendered_tuning_in_app_amds_order():
    tuning = AmdTuning()
    conf = dict(line.split(" = ") for line in render_asterisk()["amd.conf"].splitlines() if " = " in line)
    order = ("initial_silence", "greeting", "after_greeting_silence", "total_analysis_time",
             "min_word_length", "between_words_silence", "maximum_number_of_words", "silence_threshold",
             "maximum_word_length")
    assert tuning.arguments() == ",".join(conf[name] for name in order)


def test_shipped_tuning_lets_a_person_say_more_than_two_words():
    """maximum_number_of_words=2 hung up on everyone who said "Hello? Who is this?"."""
    assert "maximum_number_of_words = 5" in render_asterisk()["amd.conf"]


def _menus() -> DialplanParams:
    main = IvrConf(3, "menu-3", (IvrOption("1", ROUTE, 5, "14005550400"), IvrOption("2", MENU, 4),
                                 IvrOption("9", CALLBACK), IvrOption("0", HANGUP)), timeout_s=4, retries=1,
                   on_no_choice="9")
    sub = IvrConf(4, "menu-4", (IvrOption("1", HANGUP),))
    return DialplanParams(ivr=IvrPlan((main, sub), (IvrEntry("14005550420", 3, channel_limit=2),), "/p"))


def test_an_ivr_menu_renders_on_asterisk_with_its_keys_retries_and_channel_limit():
    text = render_asterisk(_menus())["extensions-switchboard.conf"]
    entry = text[text.index("exten => 14005550420,1"):text.index("[sb-queue-wait]")]
    assert "GotoIf($[${GROUP_COUNT(menu-3@sb-ivr)} > 2]?busy)" in entry
    assert "UserEvent(SwitchboardIvrBusy,Menu: 3," in entry
    menu = text[text.index("[sb-ivr-3]"):text.index("[sb-ivr-4]")]
    for line in ("Background(/p/menu-3)", "WaitExten(4)", "GotoIf($[${sb_ivr_tries} > 1]?none)",
                 "same => n(none),UserEvent(SwitchboardIvrMenu,Menu: 3,Step: none,Key: 9,Go: callback)\n"
                 " same => n,Goto(9,chosen)", " same => n(chosen),Goto(sb-ivr-4,s,1)",
                 " same => n(chosen),UserEvent(SwitchboardIvrRoute,Menu: 3,Caller: ${CALLERID(num)},"
                 "Called: 14005550400)",
                 " same => n(chosen),UserEvent(SwitchboardIvrCallback,"):
        assert line in menu
    # Each step of a visit reported once, the key's before what it does (the fallback skips it).
    for line in ("same => n,UserEvent(SwitchboardIvrMenu,Menu: 3,Step: enter)\n same => n(prompt),",
                 "exten => i,1,UserEvent(SwitchboardIvrMenu,Menu: 3,Step: invalid,Key: ${INVALID_EXTEN})",
                 "exten => t,1,UserEvent(SwitchboardIvrMenu,Menu: 3,Step: timeout)\n same => n(again),",
                 "exten => 1,1,UserEvent(SwitchboardIvrMenu,Menu: 3,Step: key,Key: 1,Go: route,To: 5)",
                 "exten => 2,1,UserEvent(SwitchboardIvrMenu,Menu: 3,Step: key,Key: 2,Go: menu,To: 4)",
                 "exten => 0,1,UserEvent(SwitchboardIvrMenu,Menu: 3,Step: key,Key: 0,Go: hangup)"):
        assert line in menu
    sub = text[text.index("[sb-ivr-4]"):]
    assert "same => n(none),UserEvent(SwitchboardIvrMenu,Menu: 4,Step: none,Go: hangup)\n" \
           " same => n,Goto(sb-ivr-bye,s,1)" in sub


def test_an_ivr_menu_renders_on_freeswitch_with_the_hash_limit():
    routes = {e.get("name"): e for e in ET.fromstring(freeswitch.dialplan(_menus())).iter("extension")}
    entry = [a.get("data") for a in routes["sb-ivr-in-14005550420"].iter("action")]
    limit = entry.index("hash sb ivr-3 2 sb-ivr-busy-3 XML switchboard")
    assert entry.index("limit_ignore_transfer=true") < limit  # kept through the transfer into the menu
    conditions = routes["sb-ivr-3"].findall("condition")
    assert [a.get("data") for a in conditions[1].iter("action")] == [  # on entering, not on a retry
        "sb_ivr_tries", "Event-Subclass=switchboard::ivr_menu,Event-Name=CUSTOM,SB-Menu=3,SB-Step=enter"]
    menu = [a.get("data") for a in conditions[2].iter("action")]
    assert menu[2] == "1 1 1 4000 # /p/menu-3.wav silence_stream://1 sb_ivr_key ^[1290]$ 4000"  # one try
    assert menu[3] == "sb-ivr-3-${sb_ivr_key} XML switchboard"
    assert [a.get("data") for a in routes["sb-ivr-3-2"].iter("action")][:2] == [
        "Event-Subclass=switchboard::ivr_menu,Event-Name=CUSTOM,SB-Menu=3,SB-Step=key,SB-Key=2,SB-Go=menu,"
        "SB-To=4",
        "sb-ivr-4 XML switchboard"]
    again = routes["sb-ivr-3-again"].findall("condition")
    assert (again[1].get("field"), again[1].get("expression")) == ("${sb_ivr_tries}", "^x{0,0}$")  # 1 retry
    assert next(a.get("data") for a in again[2].iter("action")).endswith(
        "SB-Step=invalid,SB-Key=${sb_ivr_key_invalid}")
    assert [a.get("data") for a in again[-1].iter("action")] == [
        "sb_ivr_tries=${sb_ivr_tries}x", "sb-ivr-3-again XML switchboard"]
    last = [a.get("data") for a in routes["sb-ivr-3-last"].findall("condition")[-1].iter("action")]
    assert last == ["Event-Subclass=switchboard::ivr_menu,Event-Name=CUSTOM,SB-Menu=3,SB-Step=none,SB-Key=9,"
                    "SB-Go=callback", "sb-ivr-3-none XML switchboard"]
    fallback = [a.get("data") for a in routes["sb-ivr-3-none"].iter("action")]
    assert "switchboard::ivr_callback" in fallback[0]  # key 9's own actions
    assert "ivr_menu" not in " ".join(fallback)  # its step was the 'none' before
    assert routes["sb-ivr-4-again"].findall("condition")[1].get("expression") == "^x{0,1}$"  # 2 retries
    once = DialplanParams(ivr=IvrPlan((IvrConf(5, "menu-5", (IvrOption("1", HANGUP),), retries=0),)))
    names = {e.get("name") for e in ET.fromstring(freeswitch.dialplan(once)).iter("extension")}
    assert {"sb-ivr-5-last", "sb-ivr-5-none"} <= names
    assert "sb-ivr-5-again" not in names  # no retry: the first miss is the last
    assert list(routes).index("sb-ivr-in-14005550420") < list(routes).index("sb-inbound")


@pytest.mark.parametrize("bad", [
    lambda: IvrOption("*", HANGUP), lambda: IvrOption("1", "dial"), lambda: IvrOption("1", ROUTE, 1, "1;x"),
    lambda: IvrConf(1, "../etc/passwd", (IvrOption("1", HANGUP),)), lambda: IvrConf(1, "menu-1", ()),
    lambda: IvrConf(1, "menu-1", (IvrOption("1", HANGUP),), on_no_choice="2"),
    lambda: IvrEntry("1400\n[evil]", 1), lambda: IvrPlan((), (IvrEntry("14005550420", 9),)),
    lambda: IvrPlan(prompts_dir="/p)\nexten => s,1,System(rm)"),
])
def test_ivr_values_that_could_change_a_dialplan_are_refused(bad):
    with pytest.raises(ValueError, match=r"invalid|no menu|at least one key|no option"):
        bad()


def _fs_actions(extension: ET.Element, destination: str) -> list[str] | None:
    """What FreeSWITCH's XML dialplan runs of ``extension`` for ``destination`` (its conditions on the
    destination: break on-false unless ``never``; ``$1`` from each condition's own match)."""
    actions: list[str] = []
    for condition in extension.findall("condition"):
        match = re.search(condition.get("expression", ""), destination)
        if match is None:
            if condition.get("break") == "never":
                continue
            return None
        for action in condition.findall("action"):
            data = action.get("data", "")
            actions.append(f"{action.get('application')} {data.replace('$1', match.group(1) or '')}"
                           if match.groups() else f"{action.get('application')} {data}")
    return actions


def test_the_position_announcement_says_the_estimated_wait_on_freeswitch():
    routes = {e.get("name"): e for e in ET.fromstring(freeswitch.dialplan()).iter("extension")}
    announce = routes["sb-queue-announce"]
    back = "transfer sb-queue-wait XML switchboard"
    assert _fs_actions(announce, "sb-queue-announce-2") == [
        f"playback {freeswitch.POSITION_BEFORE_SOUND}", "say en number pronounced 2",
        f"playback {freeswitch.POSITION_AFTER_SOUND}", back]
    assert _fs_actions(announce, "sb-queue-announce-12-3") == [
        f"playback {freeswitch.POSITION_BEFORE_SOUND}", "say en number pronounced 12",
        f"playback {freeswitch.POSITION_AFTER_SOUND}", f"playback {freeswitch.WAIT_BEFORE_SOUND}",
        "say en number pronounced 3", f"playback {freeswitch.WAIT_MINUTES_SOUND}", back]
    assert _fs_actions(announce, "sb-queue-announce-1-1") == [
        f"playback {freeswitch.POSITION_FIRST_SOUND}", f"playback {freeswitch.WAIT_BEFORE_SOUND}",
        "say en number pronounced 1", f"playback {freeswitch.WAIT_MINUTE_SOUND}", back]
    first = f"playback {freeswitch.POSITION_FIRST_SOUND}"
    assert _fs_actions(announce, "sb-queue-announce-1") == [first, back]
    assert _fs_actions(announce, "sb-queue-announce-1-x") is None


def test_the_position_announcement_says_the_estimated_wait_on_asterisk():
    text = render_asterisk()["extensions-switchboard.conf"]
    announce = text[text.index("[sb-queue-announce]"):text.index("[sb-queue-closed]")]
    for line in ("exten => _X!,1,Set(sb_position=${CUT(EXTEN,*,1)})", "Set(sb_wait_min=${CUT(EXTEN,*,2)})",
                 "SayNumber(${sb_position})", " same => n(wait),GotoIf($[\"${sb_wait_min}\" = \"\"]?back)",
                 " same => n,Playback(queue-holdtime)\n same => n,SayNumber(${sb_wait_min})",
                 "Playback(${IF($[${sb_wait_min} = 1]?queue-minute:queue-minutes)})",
                 " same => n(first),Playback(queue-youarenext)\n same => n,Goto(wait)"):
        assert line in announce, line


def test_a_marked_customer_outlives_the_agent_side_of_the_bridge_on_both_pbxes():
    """sb_after_bridge=wait (the core's mark): the customer waits in sb-after-bridge, not hung up."""
    text = render_asterisk()["extensions-switchboard.conf"]
    for hold in ("n(hold),Wait(", "n(hold),MusicOnHold("):  # sb-outbound's and sb-queue-wait's
        after = text.split(hold, 1)[1].splitlines()[1]
        assert after == ' same => n,GotoIf($["${sb_after_bridge}" = "wait"]?sb-after-bridge,s,1)'
    xml = ET.fromstring(freeswitch.dialplan(DialplanParams()))
    routes = {e.get("name"): e for e in xml.iter("extension")}
    for name in ("sb-outbound", "sb-queue-wait"):
        assert "transfer_after_bridge=sb-after-bridge:XML:switchboard" in [
            a.get("data") for a in routes[name].iter("action")]
    waits = routes["sb-after-bridge"].findall("condition")[1]
    assert (waits.get("field"), waits.get("expression")) == ("${sb_after_bridge}", "^wait$")
    assert [a.get("application") for a in waits.findall("action")] == ["sleep", "hangup"]
    assert [a.get("application") for a in waits.findall("anti-action")] == ["hangup"]


def test_an_uploaded_survey_prompt_is_played_from_the_nodes_prompts_directory():
    """sb_survey_prompt / sb_survey_second_prompt (names, set by the core) become the played sounds,
    after the default question on FreeSWITCH (whose conditions are all read on entry)."""
    params = _menus()
    text = render_asterisk(params)["extensions-switchboard.conf"]
    survey = text.split("[sb-survey]", 1)[1].split("\n[", 1)[0]
    assert 'ExecIf($["${sb_survey_prompt}" != ""]?Set(sb_survey_sound=/p/${sb_survey_prompt}))' in survey
    second = survey.index("Set(sb_survey_second=/p/${sb_survey_second_prompt})")
    assert second < survey.index("Read(survey_second")
    xml = ET.fromstring(freeswitch.dialplan(params))
    fs_survey = next(e for e in xml.iter("extension") if e.get("name") == "sb-survey")
    sets = [(c.get("field"), [a.get("data") for a in c.iter("action")])
            for c in fs_survey.findall("condition")]
    assert sets[1] == ("${sb_survey_sound}", ["sb_survey_sound=ivr/ivr-survey_press_1_to_5.wav"])
    assert sets[2] == ("${sb_survey_prompt}", ["sb_survey_sound=/p/${sb_survey_prompt}.wav"])
    assert sets[3] == ("${sb_survey_second_prompt}", ["sb_survey_second=/p/${sb_survey_second_prompt}.wav"])
    assert sets[5][0] == "${sb_survey_second}${sb_survey_second_prompt}"
