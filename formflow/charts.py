"""Seed 002's competence wheel (kompetencespind) drawn as a radar chart, with reportlab's own
graphics: one spoke per competence, grey rings at 1-5, one coloured polygon per wheel (a year,
or the employee's own placement beside the agreed one) and a legend.

Pure: `wheel_drawing` makes a reportlab `Drawing` (also a platypus flowable, so the PDF form
draws it inline); `wheel_svg` and `wheel_pdf` turn it into bytes. reportlab's SpiderChart
scales to the largest value it is given and has no rings, so the rings are strands of their
own, the outermost at 5 (which also fixes the scale), drawn under the wheels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.spider import SpiderChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from formflow.forms.definition import Competence

RINGS = (1, 2, 3, 4, 5)
RING_COLOR = colors.Color(0.78, 0.79, 0.82)
LABEL_COLOR = colors.Color(0.2, 0.2, 0.25)
NUMBER_COLOR = colors.Color(0.5, 0.5, 0.55)
# One colour per wheel: distinct in print and for the common colour blindnesses.
WHEEL_COLORS = (
    colors.Color(0.0, 0.45, 0.7),
    colors.Color(0.84, 0.37, 0.0),
    colors.Color(0.0, 0.62, 0.45),
    colors.Color(0.8, 0.47, 0.65),
    colors.Color(0.35, 0.35, 0.35),
    colors.Color(0.9, 0.62, 0.0),
)


@dataclass(frozen=True)
class Wheel:
    """One placement on the wheel: its legend (`2026`, `Sidste år`) and a 1-5 per competence
    key; a competence left unmarked is missing from `scores` and drawn at the centre."""

    legend: str
    scores: Mapping[str, int]


@dataclass(frozen=True)
class FiledWheel:
    """What one filed form says about the wheel: its year, kind, version and values."""

    year: int
    kind: str
    version: int
    fields: Mapping[str, str]


def wheels_across_years(
    forms: Sequence[FiledWheel], competences: Sequence[Competence]
) -> list[Wheel]:
    """One wheel per year: the placement agreed in the talk (the latest agreement marking
    any competence), else the employee's own from the latest preparation form; oldest first."""
    chosen: dict[int, tuple[tuple[int, int], Wheel]] = {}
    for form in forms:
        scores = scores_of(form.fields, competences, "wheel_")
        if not scores or form.kind not in ("agreement", "preparation"):
            continue
        rank = (1 if form.kind == "agreement" else 0, form.version)
        words = "aftalt" if form.kind == "agreement" else "egen vurdering"
        if form.year not in chosen or chosen[form.year][0] < rank:
            chosen[form.year] = (rank, Wheel(f"{form.year} ({words})", scores))
    return [chosen[year][1] for year in sorted(chosen)]


def scores_of(
    values: Mapping[str, str], competences: Sequence[Competence], prefix: str
) -> dict[str, int]:
    """The 1-5 marks among `values` (`<prefix><key>`), leaving out anything else."""
    found = {}
    for competence in competences:
        value = values.get(f"{prefix}{competence.key}", "").strip()
        if value in ("1", "2", "3", "4", "5"):
            found[competence.key] = int(value)
    return found


def wheel_drawing(
    competences: Sequence[Competence],
    wheels: Sequence[Wheel],
    size: float = 260.0,
    title: str = "",
    font_size: float = 8.0,
) -> Drawing:
    """The wheel(s) over the competences, labelled; no wheels: the empty wheel to mark on."""
    legend_height = (len(wheels) * (font_size + 4) + 6) if wheels else 0
    title_height = font_size + 8 if title else 0
    margin = font_size * 3.2  # room for the spoke labels around the rings
    width = size + 2 * margin
    drawing = Drawing(width, size + 2 * margin + legend_height + title_height)
    chart = SpiderChart()
    chart.x, chart.y = margin, legend_height + margin
    chart.width = chart.height = size
    chart.labels = [c.label for c in competences]
    chart.data = [[ring] * len(competences) for ring in RINGS] + [
        [wheel.scores.get(c.key, 0) for c in competences] for wheel in wheels
    ]
    _style(chart, len(wheels), font_size)
    drawing.add(chart)
    _ring_numbers(drawing, chart, font_size)
    if wheels:
        drawing.add(_legend(wheels, margin, legend_height - 4, font_size))
    if title:
        drawing.add(
            String(
                width / 2,
                drawing.height - font_size - 2,
                title,
                textAnchor="middle",
                fontName="Helvetica-Bold",
                fontSize=font_size + 1,
                fillColor=LABEL_COLOR,
            )
        )
    return drawing


def _style(chart: SpiderChart, wheels: int, font_size: float) -> None:
    """Grey spokes and rings, dark labels, a colour per wheel (see-through, so overlaps show)."""
    chart.spokes.strokeColor = RING_COLOR
    chart.spokes.strokeWidth = 0.5
    chart.spokeLabels.fontName = "Helvetica"
    chart.spokeLabels.fontSize = font_size
    chart.spokeLabels.fillColor = LABEL_COLOR
    for index in range(len(RINGS)):
        chart.strands[index].strokeColor = RING_COLOR
        chart.strands[index].fillColor = None
        chart.strands[index].strokeWidth = 0.5
    for index in range(wheels):
        color = WHEEL_COLORS[index % len(WHEEL_COLORS)]
        strand = chart.strands[len(RINGS) + index]
        strand.strokeColor = color
        strand.fillColor = colors.Color(color.red, color.green, color.blue, alpha=0.08)
        strand.strokeWidth = 1.6
        strand.symbol = "FilledCircle"
        strand.symbolSize = 4


def _ring_numbers(drawing: Drawing, chart: SpiderChart, font_size: float) -> None:
    """1-5 along the first spoke (straight up), so a reader sees what the rings mean."""
    centre_x = chart.x + chart.width / 2
    centre_y = chart.y + chart.height / 2
    radius = chart.width / 2
    for ring in RINGS:
        drawing.add(
            String(
                centre_x + 2,
                centre_y + radius * ring / RINGS[-1] - font_size * 0.9,
                str(ring),
                fontName="Helvetica",
                fontSize=font_size * 0.85,
                fillColor=NUMBER_COLOR,
            )
        )


def _legend(wheels: Sequence[Wheel], x: float, y: float, font_size: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.fontName = "Helvetica"
    legend.fontSize = font_size
    legend.boxAnchor = "nw"
    legend.columnMaximum = len(wheels)
    legend.deltay = font_size + 4
    legend.colorNamePairs = [
        (WHEEL_COLORS[index % len(WHEEL_COLORS)], wheel.legend)
        for index, wheel in enumerate(wheels)
    ]
    return legend


def wheel_svg(drawing: Drawing) -> bytes:
    """The drawing as an SVG document (UTF-8; the labels stay text, æøå included)."""
    from reportlab.graphics import renderSVG

    return renderSVG.drawToString(drawing).encode("utf-8")


def wheel_pdf(drawing: Drawing) -> bytes:
    """The drawing as a one-page PDF of its own size."""
    from reportlab.graphics import renderPDF

    return bytes(renderPDF.drawToString(drawing))
