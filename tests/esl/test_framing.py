"""The framer on every real capture, whole and split at arbitrary TCP boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from esl.framing import Frame, FrameError, Framer, parse_event
from tests.esl.capture import CONTRACT_PREFIX, FIXTURES, NAMES, boundary_cuts, chunks, load, random_cuts


def frames_of(reads: list[bytes]) -> list[Frame]:
    framer = Framer()
    frames = [f for chunk in reads for f in framer.feed(chunk)]
    assert not framer.has_partial
    return frames


@pytest.mark.parametrize("name", NAMES)
def test_every_frame_matches_the_capture_summary(name: str) -> None:
    cap = load(name)
    frames = frames_of([cap.server])
    events = [f for f in frames if f.is_event]
    replies = [f for f in frames if not f.is_event]
    assert len(replies) == len(cap.replies)
    assert len(events) == len(cap.events)
    for frame, summary in zip(replies, cap.replies, strict=True):
        assert frame.content_type == summary["Content-Type"]
        for key in ("Reply-Text", "Job-UUID", "Content-Disposition"):
            assert frame.get(key) == summary.get(key, "")
        if "_body" in summary and len(summary["_body"]) < 300:  # the summary cuts long bodies
            assert frame.text() == summary["_body"]
    for frame, summary in zip(events, cap.events, strict=True):
        event = parse_event(frame)
        for key, value in summary.items():
            if key == "_body":
                assert event.body == value
            elif key not in ("offset", "t_ms", "ctype"):
                assert event.get(key) == value, key


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("seed", range(3))
def test_random_tcp_boundaries_give_the_same_frames(name: str, seed: int) -> None:
    cap = load(name)
    whole = frames_of([cap.server])
    assert frames_of(chunks(cap.server, random_cuts(cap.server, seed))) == whole


@pytest.mark.parametrize("name", ["api_status", "originate_fail", "event_json", "avmd_beep"])
def test_cuts_next_to_every_frame_start_give_the_same_frames(name: str) -> None:
    cap = load(name)
    whole = frames_of([cap.server])
    for cuts in boundary_cuts(cap):
        assert frames_of(chunks(cap.server, cuts)) == whole


def test_byte_by_byte() -> None:
    cap = load("disconnect_server_close")
    assert frames_of([cap.server[i : i + 1] for i in range(len(cap.server))]) == frames_of([cap.server])


def test_body_without_trailing_newline_is_followed_directly_by_the_next_frame() -> None:
    # README: the JSON of `show channels as json` with rows ends in `}` and the next frame follows.
    frames = frames_of([load("api_status").server])
    rows = [f for f in frames if f.content_type == "api/response" and f.body.startswith(b'{"row_count":1')]
    assert len(rows) == 1
    assert rows[0].body.endswith(b"}")


def test_duplicate_headers_are_kept_and_values_url_decoded() -> None:
    frames = frames_of([load("bgapi_originate_park").server])
    complete = [parse_event(f) for f in frames if f.is_event]
    hangup = next(e for e in complete if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert hangup.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    job = next(e for e in complete if e.name == "BACKGROUND_JOB")
    assert job.get("Job-Command-Arg").startswith("{origination_uuid=f4822e8b")
    assert job.get("Job-Command-Arg").endswith("loopback/9664 &park")
    assert job.body == "+OK f4822e8b-0511-408a-8f6e-72286c9da41f\n"


def test_json_events_keep_duplicate_keys_and_the_nested_body() -> None:
    frames = frames_of([load("event_json").server])
    events = [parse_event(f) for f in frames if f.is_event]
    complete = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert len(complete.get_all("Hangup-Cause")) == 2
    job = next(e for e in events if e.name == "BACKGROUND_JOB")
    assert job.body.startswith("+OK ")


def test_an_encoded_newline_stays_inside_its_value() -> None:
    body = b"Event-Name: CUSTOM\nCaller-Caller-ID-Name: a%0AUnique-ID%3A%20evil\n\n"
    frame = Frame((("Content-Length", str(len(body))), ("Content-Type", "text/event-plain")), body)
    event = parse_event(frame)
    assert event.get("Unique-ID") == ""
    assert event.get("Caller-Caller-ID-Name") == "a\nUnique-ID: evil"


def test_a_garbage_content_length_is_an_error() -> None:
    with pytest.raises(FrameError):
        Framer().feed(b"Content-Type: api/response\nContent-Length: x\n\n")


def test_the_copies_match_the_shared_captures_when_present() -> None:
    shared = Path("/work/shared/fixtures/esl")
    if not shared.is_dir():
        pytest.skip("the shared capture directory is not on this machine")
    for name in (n for n in NAMES if not n.startswith(CONTRACT_PREFIX)):  # ours: tests/esl/record.py
        for suffix in (".server.txt", ".client.txt", ".json"):
            assert (FIXTURES / f"{name}{suffix}").read_bytes() == (shared / f"{name}{suffix}").read_bytes()
