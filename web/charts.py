"""The pages' charts: figures the server already has, as the spec ``static/charts.js`` draws with
Chart.js (vendored: ``static/VENDORED.md``).

A chart is built in the template from rows a page shows anyway (``bar_chart``, ``count_chart``,
``pivot_chart``: Jinja globals, ``web.app``) and rendered by the ``chart`` macro
(``templates/macros.html``): a canvas that is, to a screen reader, an image with a name, described
by a table of the same figures (the page's own, or one the macro folds under the chart). Nothing is
computed in the browser.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

Number = int | float
#: Height (px) of a chart with bars along the x axis, and of one bar of a horizontal bar chart.
HEIGHT, ROW = 240, 16


def _number(value: object) -> Number:
    """A figure as JSON wants it: whole numbers stay whole (the fallback table shows 3, not 3.0)."""
    if value is None or value == "":
        return 0
    number = float(value) if isinstance(value, (Decimal, str)) else value
    if not isinstance(number, (int, float)):
        raise TypeError(f"a chart shows numbers, not {value!r}")
    return int(number) if float(number).is_integer() else float(number)


def _field(row: object, key: str) -> Any:
    """``row[key]`` of a dict row, ``row.key`` of an object (a dataclass of figures), as Jinja reads them."""
    return row[key] if isinstance(row, Mapping) else getattr(row, key)


@dataclass(frozen=True)
class Chart:
    """``series``: dataset name -> one value per label (None: none, a gap in a line). ``horizontal``: one
    row per label (long names, many of them); ``stacked``: the series add up (parts of one whole per
    label)."""

    kind: str  # "bar", "line" or "doughnut"
    label_title: str  # what the labels are ("Hour", "Agent"...): the first column of the table
    labels: tuple[str, ...]
    series: Mapping[str, tuple[Number | None, ...]]
    horizontal: bool = False
    stacked: bool = False

    @property
    def height(self) -> int:
        """Bars along the x axis: a fixed height; horizontal ones: a row per label, each bar readable."""
        if not self.horizontal:
            return HEIGHT
        bars = 1 if self.stacked else len(self.series)
        return max(HEIGHT // 2, 70 + (ROW * bars + 10) * len(self.labels))

    def spec(self) -> dict[str, Any]:
        """What ``static/charts.js`` reads from the canvas's ``data-chart``."""
        return {"type": self.kind, "labels": list(self.labels), "horizontal": self.horizontal,
                "stacked": self.stacked,
                "datasets": [{"label": name, "data": list(values)} for name, values in self.series.items()]}


def bar_chart(rows: Iterable[object], label_key: str, series: Mapping[str, str], *,
              label_title: str = "", kind: str = "bar", horizontal: bool = False,
              stacked: bool = False) -> Chart:
    """One bar (or slice) per row for each of ``series`` (dataset name -> the row's key); ``stacked``:
    the series are parts of one whole per row (e.g. a state's tickets on time and overdue)."""
    rows = list(rows)
    return Chart(kind, label_title or label_key.capitalize(), tuple(str(_field(r, label_key)) for r in rows),
                 {name: tuple(_number(_field(r, key)) for r in rows) for name, key in series.items()},
                 horizontal=horizontal, stacked=stacked)


def count_chart(counts: Mapping[str, Any], series_name: str, label_title: str, *,
                kind: str = "bar") -> Chart:
    """One bar (or slice) per key of ``counts`` (e.g. leads by status), its words spaced."""
    return Chart(kind, label_title, tuple(str(k).replace("_", " ") for k in counts),
                 {series_name: tuple(_number(v) for v in counts.values())}, horizontal=kind == "bar")


def pivot_chart(rows: Iterable[Mapping[str, Any]], label_key: str, series_key: str, value_key: str, *,
                label_title: str = "", kind: str = "bar") -> Chart:
    """Long rows (label, series, value) as one dataset per series: stacked horizontal bars, one bar per
    label (e.g. a campaign's attempts by outcome; a label without some series counts 0 of it), or
    ``kind="line"``: a line per series along the labels (e.g. weekly scores; a label without some
    series is a gap in its line, not a 0, and an empty cell in the table)."""
    rows = list(rows)
    labels = tuple(dict.fromkeys(str(r[label_key]) for r in rows))
    names = tuple(dict.fromkeys(str(r[series_key]) for r in rows))
    cells = {(str(r[label_key]), str(r[series_key])): _number(r[value_key]) for r in rows}
    missing = None if kind == "line" else 0
    bars = kind == "bar"
    return Chart(kind, label_title or label_key.capitalize(), labels,
                 {name: tuple(cells.get((label, name), missing) for label in labels) for name in names},
                 horizontal=bars, stacked=bars)
