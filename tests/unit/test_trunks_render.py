"""Trunks rendered for both PBXes, values that could inject configuration refused, caller-ID rules, states."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ET

import pytest

from provisioning import freeswitch
from provisioning.seats import SeatConf, render_pjsip
from provisioning.trunks import TRUNKS_FILE, TrunkConf, TrunkError, registration_states
from provisioning.trunks import render_pjsip as render_trunks
from store.enums import SipTransport, T38Mode, TrunkAuth

REGISTERED = TrunkConf("carrier", "sip.example.net", 5080, auth=TrunkAuth.REGISTRATION, username="acct-42",
                       secret="s3cret-pass!", codecs=("alaw", "ulaw"), channel_limit=30,
                       dids=("+442071234567",))
BY_ADDRESS = TrunkConf("wholesale", "203.0.113.7", allowed_addresses=("203.0.113.0/28", "198.51.100.9"),
                       transport=SipTransport.TCP, t38=T38Mode.OFF)


def _sections(text: str) -> list[tuple[str, dict[str, str]]]:
    """The file's sections in order, each with its keys (PJSIP repeats section names: one per type)."""
    out: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        if line.startswith("["):
            out.append((line.strip("[]"), {}))
        elif "=" in line and out and not line.startswith(";"):
            key, value = line.split("=", 1)
            out[-1][1][key] = value
    return out


def _of_type(text: str, name: str, kind: str) -> dict[str, str]:
    return next(keys for section, keys in _sections(text) if section == name and keys.get("type") == kind)


def test_a_registration_trunk_is_an_endpoint_aor_auth_and_registration():
    text = render_trunks([REGISTERED], transport="transport-udp")
    endpoint = _of_type(text, "carrier", "endpoint")
    assert endpoint["context"] == "sb-inbound"
    assert endpoint["allow"] == "alaw,ulaw"
    assert endpoint["outbound_auth"] == "carrier-auth"
    assert endpoint["transport"] == "transport-udp"
    assert endpoint["device_state_busy_at"] == "30"
    assert _of_type(text, "carrier", "aor")["contact"] == "sip:sip.example.net:5080"
    auth = _of_type(text, "carrier-auth", "auth")
    assert (auth["username"], auth["password"]) == ("acct-42", "s3cret-pass!")
    registration = _of_type(text, "carrier", "registration")
    assert registration["client_uri"] == "sip:acct-42@sip.example.net:5080"
    assert registration["outbound_auth"] == "carrier-auth"
    assert not [s for s, keys in _sections(text) if keys.get("type") == "identify"]  # no address given


def test_an_ip_trunk_is_identified_by_its_addresses_over_its_transport():
    text = render_trunks([BY_ADDRESS], transport="transport-udp")
    assert _of_type(text, "wholesale", "identify")["match"] == "203.0.113.0/28,198.51.100.9/32"
    assert _of_type(text, "wholesale", "aor")["contact"] == "sip:203.0.113.7:5060;transport=tcp"
    endpoint = _of_type(text, "wholesale", "endpoint")
    assert "transport" not in endpoint  # a TCP trunk is not pinned to the node's UDP transport
    assert "outbound_auth" not in endpoint
    assert not [s for s, keys in _sections(text) if keys.get("type") in ("auth", "registration")]


def test_faxes_go_t38_with_the_trunks_error_correction_or_g711_only():
    text = render_trunks([REGISTERED, BY_ADDRESS, TrunkConf("fec", "192.0.2.2", t38=T38Mode.FEC,
                                                            t38_max_datagram=0)])
    endpoint = _of_type(text, "carrier", "endpoint")
    assert (endpoint["t38_udptl"], endpoint["t38_udptl_ec"], endpoint["t38_udptl_maxdatagram"]) == (
        "yes", "redundancy", "400")
    fec = _of_type(text, "fec", "endpoint")
    assert (fec["t38_udptl"], fec["t38_udptl_ec"], fec["t38_udptl_maxdatagram"]) == ("yes", "fec", "0")
    off = _of_type(text, "wholesale", "endpoint")
    assert off["t38_udptl"] == "no"
    assert "t38_udptl_ec" not in off
    gateways = {t.name: ET.fromstring(freeswitch.gateway(t)).find("gateway")
                for t in (REGISTERED, BY_ADDRESS)}
    for name, t38 in (("carrier", "true"), ("wholesale", "false")):
        variables = {v.get("name"): v for v in gateways[name].iter("variable")}
        for variable in ("fax_enable_t38", "fax_enable_t38_request"):
            assert variables[variable].get("value") == t38
            assert variables[variable].get("direction") is None  # outbound, and inbound calls tied to it


def test_an_ip_trunk_without_addresses_is_known_by_its_host():
    text = render_trunks([TrunkConf("plain", "192.0.2.1")])
    assert _of_type(text, "plain", "identify")["match"] == "192.0.2.1"


def test_the_seats_file_pulls_in_the_trunks_file():
    assert f"#tryinclude {TRUNKS_FILE}" in render_pjsip([SeatConf("8001", "s3cret-8001-xyz")])


@pytest.mark.parametrize(("change", "message"), [
    ({"name": "carrier]\n[evil"}, "trunk name"),
    ({"name": "a;b"}, "trunk name"),
    ({"host": "sip.example.net\ncontext=x"}, "not a host name"),
    ({"host": "[::1]"}, "not a host name"),
    ({"port": 0}, "port must be 1-65535"),
    ({"username": "acct;x"}, "user name"),
    ({"secret": "pass;word-long"}, "secret of 8-128"),
    ({"secret": "pass\nword-long"}, "secret of 8-128"),
    ({"secret": "pass<word>long"}, "secret of 8-128"),
    ({"secret": "short"}, "secret of 8-128"),
    ({"allowed_addresses": ("10.0.0.1;x",)}, "not an IP address"),
    ({"codecs": ("ulaw", "speex")}, "codecs"),
    ({"codecs": ()}, "codecs"),
    ({"channel_limit": -1}, "channel limit"),
    ({"caller_id": "12345"}, "E.164"),
    ({"caller_id": "+1 555 0100"}, "not a valid phone number"),
    ({"strip_prefix": "+33;"}, "prefix to strip"),
    ({"add_prefix": "0a"}, "prefix to add"),
    ({"dids": ("+442071234567", "not-a-number")}, "DID 'not-a-number'"),
    ({"dids": ("+442071234567", "+44 20 7123 4567")}, "listed twice"),
    ({"t38_max_datagram": 99}, "T.38 datagram size"),
    ({"t38_max_datagram": 1501}, "T.38 datagram size"),
])
def test_values_that_could_inject_configuration_or_make_no_sense_are_refused(change, message):
    values = {"name": "carrier", "host": "sip.example.net", "auth": TrunkAuth.REGISTRATION,
              "username": "acct-42", "secret": "s3cret-pass!", **change}
    with pytest.raises(TrunkError, match=message):
        TrunkConf(**values)


def test_numbers_are_kept_in_e164():
    trunk = TrunkConf("c", "h.example", caller_id="+44 20 7123 4567", dids=("+1 (201) 555-0123",))
    assert trunk.caller_id == "+442071234567"
    assert trunk.dids == ("+12015550123",)


@pytest.mark.parametrize(("trunk", "campaign", "shown"), [
    (TrunkConf("c", "h.example", caller_id="+442071234567"), "+33142685300", "+442071234567"),
    (TrunkConf("c", "h.example", strip_prefix="+33", add_prefix="0"), "+33142685300", "0142685300"),
    (TrunkConf("c", "h.example", strip_prefix="+33", add_prefix="0"), "+442071234567", "0+442071234567"),
    (TrunkConf("c", "h.example"), "+33142685300", "+33142685300"),
    (TrunkConf("c", "h.example", add_prefix="00"), "", ""),
])
def test_caller_id_rules(trunk, campaign, shown):
    assert trunk.present(campaign) == shown


def test_a_freeswitch_gateway_registers_or_pings_and_offers_its_codecs():
    registered = ET.fromstring(freeswitch.gateway(REGISTERED)).find("gateway")
    params = {p.get("name"): p.get("value") for p in registered.iter("param")}
    assert registered.get("name") == "carrier"
    assert params["proxy"] == "sip.example.net:5080"
    assert (params["register"], params["username"], params["password"]) == ("true", "acct-42", "s3cret-pass!")
    variables = {v.get("name"): v.get("value") for v in registered.iter("variable")}
    assert variables["absolute_codec_string"] == "PCMA,PCMU"
    by_address = ET.fromstring(freeswitch.gateway(BY_ADDRESS)).find("gateway")
    params = {p.get("name"): p.get("value") for p in by_address.iter("param")}
    assert params["register"] == "false"
    assert params["register-transport"] == "tcp"
    assert params["ping"] == "30"


def test_the_asterisk_file_parses_as_an_ini_file():
    """No value spills over a line: each section parses, with the keys we wrote."""
    parser = configparser.ConfigParser(strict=False, comment_prefixes=(";", "#"))
    parser.read_string(render_trunks([REGISTERED, BY_ADDRESS]))
    assert {"carrier", "carrier-auth", "wholesale"} <= set(parser.sections())


ASTERISK_STATES = [
    {"Event": "OutboundRegistrationDetail", "ObjectName": "carrier", "Status": "Registered"},
    {"Event": "ContactList", "ObjectName": "carrier;@0f1e", "Status": "Reachable"},
    {"Event": "ContactList", "ObjectName": "wholesale;@9a8b", "Status": "Unreachable"},
    {"Event": "ContactList", "ObjectName": "agent001;@77aa", "Status": "NonQualified"},
    {"Event": "OutboundRegistrationDetailComplete", "Registered": "1"},
]


def test_asterisk_states_a_registration_wins_over_the_contact():
    states = registration_states(ASTERISK_STATES)
    assert states["carrier"] == "registered"
    assert states["wholesale"] == "unreachable"


#: What FreeSWITCH 1.10.12 answers to ``sofia xmlstatus gateway`` (trimmed), and ``sofia xmlstatus``.
XMLSTATUS_GATEWAYS = """<?xml version="1.0" encoding="ISO-8859-1"?>
<gateways>
  <gateway><name>world</name><profile>sandbox</profile><state>NOREG</state><status>UP</status></gateway>
  <gateway><name>carrier</name><profile>sandbox</profile><state>REGED</state><status>UP</status></gateway>
  <gateway><name>down</name><profile>sandbox</profile><state>NOREG</state><status>DOWN</status></gateway>
  <gateway><name>failing</name><profile>sandbox</profile><state>FAIL_WAIT</state><status>DOWN</status></gateway>
</gateways>
"""
XMLSTATUS = """<?xml version="1.0" encoding="ISO-8859-1"?>
<profiles>
<profile><name>sandbox</name><type>profile</type><data>sip:mod_sofia@127.0.0.4:5060</data></profile>
<gateway><name>world</name><type>gateway</type><data>sip:switchboard@127.0.0.3:5060</data></gateway>
</profiles>
"""


class Canned:
    """An ESL target whose answers are FreeSWITCH's recorded ones."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers, self.asked = answers, []

    def api(self, command: str) -> str:
        self.asked.append(command)
        return self.answers.get(command, "Invalid Gateway!\n")


def test_freeswitch_states_and_profiles_from_xmlstatus():
    target = Canned({"sofia xmlstatus gateway": XMLSTATUS_GATEWAYS, "sofia xmlstatus": XMLSTATUS})
    assert freeswitch.gateway_states(target) == {"world": "reachable", "carrier": "registered",
                                                 "down": "unreachable", "failing": "fail_wait"}
    assert freeswitch.sofia_profiles(target) == ["sandbox"]


def test_freeswitch_gateways_written_one_file_each_and_only_changed_ones_reloaded(tmp_path):
    target = Canned({"sofia xmlstatus": XMLSTATUS})
    assert freeswitch.provision_gateways(tmp_path, [REGISTERED, BY_ADDRESS], target) == [
        "carrier.xml", "wholesale.xml"]
    assert target.asked[-1] == "sofia profile sandbox rescan reloadxml"
    target.asked.clear()
    assert freeswitch.provision_gateways(tmp_path, [REGISTERED, BY_ADDRESS], target) == []
    assert target.asked == []  # nothing changed: the node is left alone
    assert freeswitch.provision_gateways(tmp_path, [REGISTERED], target) == ["wholesale.xml"]
    assert "sofia profile sandbox killgw wholesale" in target.asked
    assert sorted(p.name for p in tmp_path.iterdir()) == ["carrier.xml"]
