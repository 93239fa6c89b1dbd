"""The rendered Asterisk dialplan defines every route the core names."""

from dialplans.render import ROUTES, AmdTuning, DialplanParams, render_asterisk, write_atomically


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
