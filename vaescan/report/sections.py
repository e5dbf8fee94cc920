"""The report's figure sections (data card, traversals, heatmaps, generated beats, Jacobian overlays,
digitisation) as Markdown and as self-contained HTML.

A :class:`Section` holds a title, a few plain-language paragraphs, tables and figures (PNG files beside
report.md, given relative to the report folder); a section whose input is absent keeps only ``skipped``, the
one line saying why. :func:`sections_markdown` links the figures; :func:`sections_html` embeds them as base64 PNG
(no external link).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd


@dataclasses.dataclass
class SectionFigure:
    """A PNG ``path`` relative to the report folder, its ``caption`` and the ``group`` it belongs to (a run, a
    label: the tests count figures per group)."""

    path: str
    caption: str
    group: str = ""


@dataclasses.dataclass
class Section:
    """One report section: ``key`` (its HTML id), ``title``, ``paragraphs``, ``tables`` (caption, frame) and
    ``figures``; ``skipped`` (one line) when its input is absent."""

    key: str
    title: str
    paragraphs: list[str] = dataclasses.field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = dataclasses.field(default_factory=list)
    figures: list[SectionFigure] = dataclasses.field(default_factory=list)
    skipped: str = ""


def _md_table(frame: pd.DataFrame) -> str:
    cells = [[str(c) for c in frame.columns]] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join([lines[0], "|" + "---|" * len(frame.columns), *lines[1:]])


def sections_markdown(sections: Sequence[Section]) -> str:
    """The sections as Markdown: ``## title``, paragraphs, tables, and each figure linked (``![caption](path)``).

    Example
    -------
    >>> s = Section("card", "Data card", ["200 records."], figures=[SectionFigure("sections/a.png", "a figure")])
    >>> print(sections_markdown([s, Section("dig", "Digitisation", skipped="no pages given.")]))
    ## Data card
    <BLANKLINE>
    200 records.
    <BLANKLINE>
    ![a figure](sections/a.png)
    <BLANKLINE>
    ## Digitisation
    <BLANKLINE>
    Not shown: no pages given.
    <BLANKLINE>
    """
    parts: list[str] = []
    for s in sections:
        parts += [f"## {s.title}", ""]
        if s.skipped:
            parts += [f"Not shown: {s.skipped}", ""]
            continue
        for p in s.paragraphs:
            parts += [p, ""]
        for caption, frame in s.tables:
            parts += [f"{caption}", "", _md_table(frame), ""] if caption else [_md_table(frame), ""]
        for f in s.figures:
            parts += [f"![{f.caption}]({f.path})", ""]
    return "\n".join(parts)


def _png(root: Path, path: str) -> str:
    return base64.b64encode((root / path).read_bytes()).decode("ascii")


def sections_html(sections: Sequence[Section], root: str | os.PathLike[str]) -> str:
    """The sections as HTML: each figure embedded as a base64 PNG read from ``root``/path, with its caption.

    Example
    -------
    >>> import tempfile
    >>> from vaescan.report.ecg_plots import save_figure
    >>> from matplotlib.figure import Figure
    >>> root = Path(tempfile.mkdtemp()); _ = save_figure(Figure(figsize=(1, 1)), root / "a.png")
    >>> page = sections_html([Section("card", "Data card", figures=[SectionFigure("a.png", "empty")])], root)
    >>> '<section id="card">' in page, "data:image/png;base64,iVBOR" in page, "a.png" in page
    (True, True, False)
    """
    root = Path(root)
    parts: list[str] = []
    for s in sections:
        parts.append(f'<section id="{html.escape(s.key)}">\n<h2>{html.escape(s.title)}</h2>')
        if s.skipped:
            parts.append(f'<p class="skipped">Not shown: {html.escape(s.skipped)}</p>\n</section>')
            continue
        parts += [f"<p>{html.escape(p)}</p>" for p in s.paragraphs]
        for caption, frame in s.tables:
            if caption:
                parts.append(f"<p>{html.escape(caption)}</p>")
            parts.append(frame.to_html(index=False, border=0, escape=True, na_rep="-"))
        for f in s.figures:
            parts.append(f'<figure data-group="{html.escape(f.group)}"><img alt="{html.escape(f.caption)}" '
                         f'src="data:image/png;base64,{_png(root, f.path)}"><figcaption>{html.escape(f.caption)}'
                         "</figcaption></figure>")
        parts.append("</section>")
    return "\n".join(parts)
