"""The charts' figures (web.charts): what the browser draws and the fallback table shows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from web.charts import bar_chart, count_chart, pivot_chart


def test_a_pivot_has_every_series_for_every_label_in_the_order_first_seen():
    rows = [{"c": "Spring", "o": "busy", "n": 2}, {"c": "Spring", "o": "connected", "n": 5},
            {"c": "Autumn", "o": "connected", "n": 1}]
    chart = pivot_chart(rows, "c", "o", "n", label_title="Campaign")
    assert chart.labels == ("Spring", "Autumn")
    assert dict(chart.series) == {"busy": (2, 0), "connected": (5, 1)}
    assert (chart.horizontal, chart.stacked, chart.spec()["datasets"][0]) == (
        True, True, {"label": "busy", "data": [2, 0]})


def test_a_line_pivot_leaves_a_gap_where_a_series_has_no_figure():
    rows = [{"w": "2026-03-02", "a": "agent1", "s": Decimal("80.5")},
            {"w": "2026-03-09", "a": "agent2", "s": 90}]
    chart = pivot_chart(rows, "w", "a", "s", kind="line")
    assert (chart.horizontal, chart.stacked) == (False, False)
    assert chart.spec()["datasets"] == [{"label": "agent1", "data": [80.5, None]},
                                        {"label": "agent2", "data": [None, 90]}]


def test_money_stays_exact_enough_and_whole_figures_stay_whole():
    chart = bar_chart([{"team": "Team 1", "net": Decimal("120.00"), "target": Decimal("700.50")}], "team",
                      {"Net": "net", "Target": "target"})
    assert dict(chart.series) == {"Net": (120,), "Target": (700.5,)}
    assert count_chart({"no_answer": 3}, "Leads", "Outcome").labels == ("no answer",)
    with pytest.raises(TypeError, match="numbers"):
        bar_chart([{"a": "x", "b": object()}], "a", {"B": "b"})
