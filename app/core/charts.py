"""Charts as PNG images, drawn with matplotlib (no external chart library, no browser script),
with Chinese labels in a CJK font that is checked to be there — never empty boxes.

:func:`cjk_font` finds the font once (Noto Sans CJK, then other CJK families the servers carry);
:class:`MissingCJKFont` says which package to install when none is present.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from typing import Any

# A bare Figure (never pyplot) draws without a display and without global state.
from matplotlib import font_manager
from matplotlib.figure import Figure

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
)


class MissingCJKFont(RuntimeError):
    """No font that draws Chinese is installed (Debian: apt-get install fonts-noto-cjk)."""


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family of an installed font that has Chinese glyphs."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    for family in sorted(installed):
        if "CJK" in family:
            return family
    raise MissingCJKFont(
        "no CJK font found: install fonts-noto-cjk (Debian) to draw Chinese labels"
    )


def _figure(title: str) -> tuple[Figure, Any]:
    figure = Figure(figsize=(7.5, 3.6), dpi=100)
    axes = figure.add_subplot()
    axes.set_title(title, fontfamily=cjk_font())
    return figure, axes


def _png(figure: Figure, axes: Any) -> bytes:
    for label in (*axes.get_xticklabels(), *axes.get_yticklabels()):
        label.set_fontfamily(cjk_font())
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def bar_png(
    title: str, labels: Sequence[str], values: Sequence[float], *, horizontal: bool = False
) -> bytes:
    figure, axes = _figure(title)
    if horizontal:
        axes.barh(list(labels)[::-1], list(values)[::-1], color="#c0392b")
    else:
        axes.bar(list(labels), list(values), color="#2c7fb8")
    return _png(figure, axes)


def line_png(
    title: str, labels: Sequence[str], values: Sequence[float | None], *, percent: bool = False
) -> bytes:
    figure, axes = _figure(title)
    points = [
        (label, value) for label, value in zip(labels, values, strict=True) if value is not None
    ]
    axes.plot([p[0] for p in points], [p[1] * (100 if percent else 1) for p in points], marker="o")
    if percent:
        axes.set_ylim(0, 100)
        axes.set_ylabel("%")
    return _png(figure, axes)
