"""Bar charts of daily counts, drawn on the server as SVG geometry for a template.

No script and no inline style (the CSP allows neither): every shape carries a class the
static stylesheet colours, and the template gives each chart its text alternative.
"""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 150  # the SVG's own units; CSS scales it to the page's width
LEFT, RIGHT, BOTTOM, TOP = 36, 16, 22, 10  # room for the axis and the labels around it
PLOT_WIDTH = WIDTH - LEFT - RIGHT


@dataclass
class Series:
    """One kind of count, one number per day."""

    label: str
    css_class: str
    counts: list

    @property
    def total(self):
        return sum(self.counts)


@dataclass
class BarChart:
    """Days on the x axis, one bar per series side by side within each day."""

    key: str
    title: str
    days: list
    series: list = field(default_factory=list)
    show_day: object = str  # how the table names a day (the caller's language)

    width, height = WIDTH, HEIGHT

    @property
    def peak(self):
        return max((n for s in self.series for n in s.counts), default=0)

    @property
    def plot_height(self):
        return HEIGHT - BOTTOM - TOP

    @property
    def axis_end(self):
        return WIDTH - RIGHT

    @property
    def baseline(self):
        return HEIGHT - BOTTOM

    @property
    def bars(self):
        """Each non-zero count as a rectangle: x, y, width, height, class, day, count."""
        slot = PLOT_WIDTH / max(len(self.days), 1)
        bar = slot * 0.8 / max(len(self.series), 1)
        scale = self.plot_height / max(self.peak, 1)
        found = []
        for i, day in enumerate(self.days):
            for j, series in enumerate(self.series):
                count = series.counts[i]
                if count:
                    h = max(count * scale, 1)
                    x = LEFT + i * slot + slot * 0.1 + j * bar
                    found.append(_bar(x, self.baseline - h, bar, h, series, day, count))
        return found

    @property
    def day_labels(self):
        """About one label a week, with the x of its day's middle."""
        slot = PLOT_WIDTH / max(len(self.days), 1)
        step = 7 if len(self.days) > 10 else 1
        picked = range(len(self.days) - 1, -1, -step)
        return [
            {"x": round(LEFT + (i + 0.5) * slot, 1), "text": f"{d.month}/{d.day}"}
            for i, d in sorted((i, self.days[i]) for i in picked)
        ]

    @property
    def rows(self):
        """The table behind the chart: each day with its counts, newest first."""
        return [
            {"day": self.show_day(day), "counts": [s.counts[i] for s in self.series]}
            for i, day in reversed(list(enumerate(self.days)))
        ]

    @property
    def is_empty(self):
        return self.peak == 0


def _bar(x, y, width, height, series, day, count):
    return {
        "x": round(x, 1),
        "y": round(y, 1),
        "width": round(width, 1),
        "height": round(height, 1),
        "css_class": series.css_class,
        "label": series.label,
        "day": day,
        "count": count,
    }


def counts_by_day(days, counts, *key):
    """The numbers of ``counts`` (``{(day, *key): n}``) for each of ``days``, in order."""
    key = tuple(str(part) for part in key)  # an enum member's hash is not its value's
    return [counts.get((day, *key), 0) for day in days]
