"""The framer yields the same messages whatever the TCP read boundaries."""

import random

import pytest

from ami.framing import Framer
from tests.ami.recording import Recording, names
from tests.ami.replay import chunks

RECORDINGS = names()


def _messages(reads):
    framer = Framer()
    return [dict(m) for chunk in reads for m in framer.feed(chunk)], framer


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_byte_boundary_at_once(name):
    """One byte per read: every offset of the stream is a read boundary."""
    data = Recording.load(name).data
    whole, framer = _messages([data])
    assert framer.version == "11.0.0"
    bytewise, _ = _messages(data[i:i + 1] for i in range(len(data)))
    assert bytewise == whole
    assert len(whole) > 5


@pytest.mark.parametrize("name", RECORDINGS)
def test_random_read_sizes(name):
    data = Recording.load(name).data
    whole, _ = _messages([data])
    rng = random.Random(name)
    for _ in range(20):
        cuts = rng.sample(range(1, len(data)), k=rng.randint(1, 200))
        assert _messages(chunks(data, cuts))[0] == whole


def test_split_inside_a_message_terminator_and_the_greeting():
    data = Recording.load("originate_busy").data
    whole, _ = _messages([data])
    end = data.index(b"\r\n\r\n")
    for cut in (3, 10, end + 1, end + 2, end + 3):  # inside the greeting, then inside CRLFCRLF
        assert _messages(chunks(data, [cut]))[0] == whole


def test_utf8_character_split_across_reads_is_kept():
    """panoramisk decodes each read with errors='ignore' and would drop 'é' here."""
    msg = "Event: Newchannel\r\nCallerIDName: Zoé Ångström\r\nUniqueid: x1\r\n\r\n".encode()
    cut = msg.index("é".encode()) + 1  # between the two bytes of 'é'
    messages, _ = _messages(chunks(b"Asterisk Call Manager/11.0.0\r\n" + msg, [10, 30 + cut]))
    assert messages[0]["CallerIDName"] == "Zoé Ångström"


def test_repeated_headers_become_lists():
    messages, _ = _messages([b"Event: X\r\nChanVariable: a=1\r\nChanVariable: b=2\r\n\r\n"])
    assert messages[0]["ChanVariable"] == ["a=1", "b=2"]
