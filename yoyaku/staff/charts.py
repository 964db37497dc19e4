"""Bar charts drawn on the server as SVG: no script, no style attribute (the CSP forbids
both), only presentation attributes and the classes of site.css.

A chart is never the only way to read a figure: its title and description name it for screen
readers (``role="img"``), and the page shows a table with the same figures beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 720
LABEL_WIDTH = 230  # room for a facility and unit name on the left
BAR_AREA = 380
ROW = 28
BAR = 18
TOP = 8


@dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the figure as shown at the end of the bar
    width: int
    y: int

    @property
    def text_y(self) -> int:
        return self.y + BAR - 4

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass
class BarChart:
    chart_id: str
    title: str
    description: str
    bars: list[Bar] = field(default_factory=list)

    @property
    def height(self) -> int:
        return TOP * 2 + ROW * max(1, len(self.bars))

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8

    @property
    def axis_x(self) -> int:
        return LABEL_WIDTH


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    items: list[tuple[str, float | int | None, str]],
    maximum: float | None = None,
) -> BarChart:
    """``items``: (label, value, text). ``maximum`` fixes the scale (100 for percentages);
    otherwise the largest value fills the bar area. A missing value draws no bar."""
    top = maximum or max((value or 0 for _label, value, _text in items), default=0) or 1
    bars = []
    for index, (label, value, text) in enumerate(items):
        share = max(0.0, min(1.0, (value or 0) / top))
        bars.append(
            Bar(label=label, text=text, width=round(BAR_AREA * share), y=TOP + ROW * index + 5)
        )
    return BarChart(chart_id=chart_id, title=title, description=description, bars=bars)
