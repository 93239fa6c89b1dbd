"""The rendered Asterisk dialplan defines every route the core names, and the admin's IVR menus."""

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
                 "same => n(none),Goto(9,1)", "exten => 2,1,Goto(sb-ivr-4,s,1)",
                 "exten => 1,1,UserEvent(SwitchboardIvrRoute,Menu: 3,Caller: ${CALLERID(num)},"
                 "Called: 14005550400)",
                 "exten => 9,1,UserEvent(SwitchboardIvrCallback,"):
        assert line in menu
    assert "Goto(sb-ivr-bye,s,1)" in text[text.index("[sb-ivr-4]"):]


def test_an_ivr_menu_renders_on_freeswitch_with_the_hash_limit():
    routes = {e.get("name"): e for e in ET.fromstring(freeswitch.dialplan(_menus())).iter("extension")}
    entry = [a.get("data") for a in routes["sb-ivr-in-14005550420"].iter("action")]
    limit = entry.index("hash sb ivr-3 2 sb-ivr-busy-3 XML switchboard")
    assert entry.index("limit_ignore_transfer=true") < limit  # kept through the transfer into the menu
    menu = [a.get("data") for a in routes["sb-ivr-3"].iter("action")]
    assert menu[2].startswith("1 1 2 4000 # /p/menu-3.wav ")
    assert menu[2].endswith(" sb_ivr_key ^[1290]$ 4000")
    assert next(a.get("data") for a in routes["sb-ivr-3-2"].iter("action")) == "sb-ivr-4 XML switchboard"
    assert "switchboard::ivr_callback" in routes["sb-ivr-3-"].find("condition/action").get("data")  # key 9
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
