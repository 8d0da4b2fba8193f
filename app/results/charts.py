"""A horizontal bar chart of votes, drawn on the server as SVG (no script, no third party); the page shows the same
numbers in a table."""

from dataclasses import dataclass

BAR_HEIGHT = 26
GAP = 10
LABEL = 18  # labels sit above each bar, so that long titles never squeeze the bars on a phone


@dataclass(frozen=True)
class Bar:
    y: int
    width: float  # in percent of the drawing's width
    label: str
    value: str
    selected: bool


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int


def bar_chart(projects, value_text) -> Chart:
    """One bar per project, longest for the most votes; ``value_text(project)`` is the figure written beside it."""
    projects = list(projects)
    top = max((p.votes for p in projects), default=0) or 1
    row = BAR_HEIGHT + GAP + LABEL
    bars = [Bar(y=index * row, width=round(max(p.votes / top * 100, 0.5), 2), label=p.item.title,
                value=value_text(p), selected=p.selected) for index, p in enumerate(projects)]
    return Chart(bars=bars, height=max(len(bars) * row, row))
