"""The top evidence for and against each output, in a sentence a clinician reads.

From a per lead x wave table (:func:`vaescan.explain.waves.evidence_table`):
``LBBB 0.93 (present): for: QRS in V6, V5, I; against: T in V6``. An output
scored absent leads with the evidence against it, which says why it is absent.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd


def _cells(rows: pd.DataFrame, top: int, sign: int) -> str:
    """``"QRS in V6, V5; T in V1"``: the ``top`` strongest cells of one sign, grouped by wave in order of strength."""
    picked = rows[rows["value"] * sign > 0].sort_values("value", ascending=sign < 0).head(top)
    groups: dict[str, list[str]] = {}
    for lead, wave in zip(picked["lead"], picked["wave"]):
        groups.setdefault(wave, []).append(lead)
    return "; ".join(f"{wave} in {', '.join(leads)}" for wave, leads in groups.items()) or "none"


def evidence_summary(table: pd.DataFrame, scores: Mapping[str, str], present: Mapping[str, bool] | None = None,
                     top: int = 3) -> list[str]:
    """One line per output of ``table`` (columns output, lead, wave, value): its score and its top evidence.

    ``scores`` maps each output to its printed score (e.g. ``"0.93"``, ``"63 y"``);
    ``present`` marks binary outputs as present or absent (evidence against
    comes first for an absent one); outputs missing from ``present`` are
    continuous and list evidence raising, then lowering, the value.

    Example
    -------
    >>> t = pd.DataFrame({"output": ["LBBB"] * 3, "lead": ["V6", "V1", "V6"], "wave": ["QRS", "QRS", "T"],
    ...                   "value": [2.0, 0.5, -1.0]})
    >>> evidence_summary(t, {"LBBB": "0.93"}, {"LBBB": True})
    ['LBBB 0.93 (present): for: QRS in V6, V1; against: T in V6']
    >>> evidence_summary(t.assign(value=-t.value), {"LBBB": "0.04"}, {"LBBB": False})
    ['LBBB 0.04 (absent): against: QRS in V6, V1; for: T in V6']
    """
    present = present or {}
    lines = []
    for output, rows in table.groupby("output", sort=False):
        pro, con = _cells(rows, top, +1), _cells(rows, top, -1)
        if output not in present:
            lines.append(f"{output} {scores[output]}: raised by: {pro}; lowered by: {con}")
        elif present[output]:
            lines.append(f"{output} {scores[output]} (present): for: {pro}; against: {con}")
        else:
            lines.append(f"{output} {scores[output]} (absent): against: {con}; for: {pro}")
    return lines
