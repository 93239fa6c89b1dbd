"""The world's inbound caller (``lab.sandbox.calls``) refuses anything but numbers before it writes an
AMI action: the CLI passes what a person typed."""

from __future__ import annotations

import pytest

from ami.session import AmiTarget
from lab.sandbox import calls
from store.enums import PbxKind

#: Nothing listens here: a check that let bad input through would fail on connecting instead.
NOWHERE = AmiTarget("127.0.0.1", 9, "nobody", "nothing")


@pytest.mark.parametrize(("did", "caller", "name", "talk_s"), [
    ("14005550410\r\nAction: Command", "12125550199", "World caller", None),  # AMI injection
    ("400 555", "12125550199", "World caller", None),
    ("14005550410", "12125550199@evil", "World caller", None),
    ("14005550410", "12125550199", "Eve <666>", None),
    ("14005550410", "12125550199", "World caller", 0),
    ("14005550410", "12125550199", "World caller", 3601),
])
def test_call_in_refuses_what_is_not_a_number_a_name_or_a_talk_time(did, caller, name, talk_s):
    with pytest.raises(ValueError, match=r"not a valid|talk time"):
        calls.call_in(NOWHERE, PbxKind.ASTERISK, did, caller, name=name, talk_s=talk_s)


def test_call_in_dials_the_node_s_endpoint_with_the_talk_time(monkeypatch):
    sent = []

    async def originate(target, action):
        sent.append(action)
        return {"Response": "Success"}

    monkeypatch.setattr(calls, "_originate", originate)
    channel = calls.call_in(NOWHERE, PbxKind.FREESWITCH, "+14005550411", "12125550199", talk_s=30)
    [action] = sent
    assert action["Channel"] == "PJSIP/14005550411@freeswitch"
    assert (action["ChannelId"], action["Variable"]) == (channel, "caller_talk_s=30")
    assert action["CallerID"] == "World caller <12125550199>"
