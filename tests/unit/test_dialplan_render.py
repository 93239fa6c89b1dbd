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
