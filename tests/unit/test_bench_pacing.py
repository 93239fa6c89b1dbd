"""bench.pacing's bookkeeping: baseline results kept per code, the RESULT line of a partial run."""

from __future__ import annotations

import dataclasses

import pytest

from bench import pacing

S1 = pacing.Job("S1 p=0.3", "S5", 0.3, 1, 1, "progressive", 1)  # a 12-agent day: a second to simulate


@pytest.fixture(scope="module")
def progressive() -> tuple[pacing.Job, str, pacing.Summary, float]:
    return pacing.run_job(S1)


def test_a_baseline_is_reused_only_by_the_same_code(progressive, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    code = pacing.baseline_code_hash()
    assert pacing.cached(S1, code) is None
    pacing.keep(progressive, code)
    job, name, summary, _ = pacing.cached(S1, code)
    assert (job, name, summary) == progressive[:3]
    assert pacing.cached(S1, "other code") is None
    assert pacing.cached(dataclasses.replace(S1, seed=2), code) is None
    assert pacing.cached(S1, None) is None  # --no-cache


def test_our_policy_is_never_taken_from_the_cache(progressive, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    ours = dataclasses.replace(S1, policy="ours")
    pacing.keep((ours, *progressive[1:]), "code")
    assert pacing.cached(ours, "code") is None
    assert not list(tmp_path.rglob("*.json"))


def test_the_result_line_leaves_out_what_a_partial_run_cannot_compute(progressive):
    line = pacing.result_line([progressive])
    assert line == f"RESULT pacing progressive={pacing.pct(progressive[2].occupancy)}"
