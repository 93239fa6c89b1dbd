"""FreeSWITCH mod_xml_curl answers: well-formed XML, our routes, one seat per lookup."""

import hashlib
import xml.etree.ElementTree as ET

from dialplans.render import ROUTES
from provisioning import freeswitch
from provisioning.seats import SeatConf

SEATS = [SeatConf("8001", "s3cret-8001-xyz"), SeatConf("8002", "s3cret-8002-xyz")]


def test_dialplan_has_every_core_route():
    doc = ET.fromstring(freeswitch.answer({"section": "dialplan", "Hunt-Context": "switchboard"}, SEATS))
    names = {e.get("name") for e in doc.iter("extension")}
    assert set(ROUTES) <= names
    hold = next(e for e in doc.iter("extension") if e.get("name") == "sb-agent-hold")
    data = [a.get("data") for a in hold.iter("action")]
    assert "park_after_bridge=true" in data
    assert "hangup_after_bridge=false" in data


def test_other_contexts_are_not_ours():
    doc = ET.fromstring(freeswitch.answer({"section": "dialplan", "Hunt-Context": "default"}, SEATS))
    assert doc.find("section/result").get("status") == "not found"


def test_directory_returns_only_the_asked_seat():
    doc = ET.fromstring(freeswitch.answer(
        {"section": "directory", "user": "8002", "domain": "127.0.0.1"}, SEATS))
    users = list(doc.iter("user"))
    assert [u.get("id") for u in users] == ["8002"]
    assert users[0].find("params/param").get("value") == SEATS[1].digest("127.0.0.1")


def test_unknown_or_disabled_seat_gets_the_domain_without_it():
    """Not "not found": that would send FreeSWITCH to its static directory while the database says no."""
    doc = ET.fromstring(freeswitch.answer({"section": "directory", "user": "9999", "domain": "d"}, SEATS))
    assert doc.find("section/domain").get("name") == "d"
    assert not list(doc.iter("user"))


def test_a_lookup_naming_no_user_is_left_to_the_node():
    doc = ET.fromstring(freeswitch.answer({"section": "directory", "domain": "d"}, SEATS))
    assert doc.find("section/result").get("status") == "not found"


def test_seat_values_are_escaped():
    xml = freeswitch.directory("d<x>", [SeatConf("8001", "s3cret-8001-xyz")])
    assert "d&lt;x&gt;" in xml
    ET.fromstring(xml)


def test_directory_gives_the_digest_for_the_domain_never_the_password():
    """FreeSWITCH challenges with the domain as realm: a1-hash = md5(user:domain:password)."""
    doc = ET.fromstring(freeswitch.directory("10.0.0.4", [SeatConf("8001", "s3cret-8001-xyz")]))
    params = {p.get("name"): p.get("value") for p in doc.iter("param")}
    expected = hashlib.md5(b"8001:10.0.0.4:s3cret-8001-xyz", usedforsecurity=False).hexdigest()
    assert params["a1-hash"] == expected
    assert "password" not in params
    assert "s3cret-8001-xyz" not in ET.tostring(doc, encoding="unicode")


def test_abandon_route_conditions_on_the_variable_with_a_freeswitch_default():
    """FreeSWITCH 1.10.12 has no ``strlen`` API: the route tests the variable itself, and the
    fallback is a FreeSWITCH sound path, not Asterisk's ``vm-goodbye``."""
    doc = ET.fromstring(freeswitch.dialplan())
    abandon = next(e for e in doc.iter("extension") if e.get("name") == "sb-abandon")
    assert "strlen" not in ET.tostring(abandon, encoding="unicode")
    route, sound = abandon.findall("condition")
    assert (route.get("field"), route.get("expression")) == ("destination_number", "^sb-abandon$")
    assert (sound.get("field"), sound.get("expression")) == ("${sb_abandon_sound}", "^.+$")
    play = [a.get("data") for a in sound.findall("action") if a.get("application") == "playback"]
    fallback = [a.get("data") for a in sound.findall("anti-action") if a.get("application") == "playback"]
    assert play == ["${sb_abandon_sound}"]
    assert fallback == [freeswitch.DEFAULT_ABANDON_SOUND]


def test_static_copies_match_the_xml_curl_answers():
    """The sandbox's freeswitch.xml embeds the same routes and seats the web app serves."""
    def same(static: str, served: ET.Element) -> bool:
        served.tail = None
        return ET.tostring(ET.fromstring(static)) == ET.tostring(served)

    assert same(freeswitch.dialplan_context(), ET.fromstring(freeswitch.dialplan()).find("section/context"))
    directory = ET.fromstring(freeswitch.directory("d", SEATS))
    assert same(freeswitch.directory_domain("d", SEATS), directory.find("section/domain"))
