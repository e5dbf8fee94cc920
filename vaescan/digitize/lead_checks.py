"""Checking a digitised record's lead names against each other: Einthoven and Goldberger, never changing a signal.

The six limb leads are fixed combinations of two: ``III = II - I``, ``aVR = -(I + II)/2``,
``aVL = I - II/2``, ``aVF = II - I/2``. Any three limb leads shown at the same time
therefore obey one relation ``w . x = 0``. Over the samples where all three are finite
(a 3x4 page: I, II, III at 0-2.5 s; aVR, aVL, aVF with the rhythm strip's II at
2.5-5 s; a 6x2 or 12x1 page: all six at once) each such triple is scored by
``RMS(w . x) / median_j |w_j| RMS(x_j)``: the residual of the relation against the middle one of
its three terms (0: the relation holds exactly; the middle term rather than the smallest, so that a
nearly flat lead does not fail on its reading noise), after
the median of each lead and of the residual are taken off (a baseline offset says
nothing about a name). A misnamed or misread limb lead breaks every triple it is in.

A lead's confidence is the worst over its triples of ``1 - score / (2 * threshold)``
(clipped to [0, 1]; above 0.5 when every relation it is in holds: a relation that fails
cannot tell which of its leads is wrong, and a symmetric one such as ``aVR + aVL + aVF = 0``
still holds when two of its leads are swapped, so one passing relation confirms nothing
alone); precordial leads have
no relation to be checked and get none. The page verdict is ``"confident"`` when some
relation could be checked and all checked relations hold, ``"check leads"`` otherwise,
with reasons.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from vaescan.data.leads import LEADS

LIMB_BASIS = {"I": (1.0, 0.0), "II": (0.0, 1.0), "III": (-1.0, 1.0), "aVR": (-0.5, -0.5), "aVL": (1.0, -0.5),
              "aVF": (-0.5, 1.0)}
"""Each limb lead as a combination of leads I and II (Einthoven, Goldberger)."""

RELATION_THRESHOLD = 0.25
"""A triple whose relative residual exceeds this fails. Chosen on the project's own rendered pages
(``scripts/bench_lead_checks.py``): see docs/digitize.md, "Pages from other printers"."""

MIN_OVERLAP_S = 1.0
"""Shortest time (s) three leads must be shown together for their relation to be checked."""


def relation_weights(leads: tuple[str, str, str]) -> np.ndarray:
    """The relation ``w . x = 0`` of three limb leads, scaled so that the largest weight is +-1, the first positive.

    Example
    -------
    >>> relation_weights(("I", "II", "III")).round(3).tolist()          # I - II + III = 0
    [1.0, -1.0, 1.0]
    >>> relation_weights(("I", "II", "aVR")).round(3).tolist()          # I + II + 2 aVR = 0
    [0.5, 0.5, 1.0]
    """
    m = np.array([LIMB_BASIS[lead] for lead in leads]).T                 # 2 x 3
    w = np.linalg.svd(m)[2][-1]
    w = np.where(np.abs(w) < 1e-12, 0.0, w / np.abs(w).max())
    # the sign is the SVD's choice (it differs between LAPACK builds): the first weight is made positive
    return -w if w[np.flatnonzero(w)[0]] < 0 else w


def _relation_text(leads: tuple[str, str, str], w: np.ndarray) -> str:
    """``'II = I + III'``-style text of a triple's relation, solved for its augmented lead, else II."""
    k = max((j for j, lead in enumerate(leads) if lead.startswith("aV")),
            default=leads.index("II") if "II" in leads else 2)
    terms = []
    for j, lead in enumerate(leads):
        if j == k or w[j] == 0:
            continue
        c = -w[j] / w[k]
        mag = "" if np.isclose(abs(c), 1.0) else f"{abs(c):g} "
        terms.append(("- " if c < 0 else "+ ") + mag + lead)
    rhs = " ".join(terms)
    rhs = rhs[2:] if rhs.startswith("+ ") else "-" + rhs[2:]
    return f"{leads[k]} = {rhs}"


def relation_scores(signal: np.ndarray, fs: float, sig_name: list[str] | None = None,
                    min_overlap_s: float = MIN_OVERLAP_S) -> list[dict]:
    """Every checkable limb-lead triple of a (samples, leads) record in mV: its relation, samples and score.

    ``sig_name``: the record's lead names (default the 12 standard leads in order).
    A triple is checkable when its three leads are finite together on at least
    ``min_overlap_s`` seconds and none of them is flat there.

    Example
    -------
    >>> t = np.arange(2500)[:, None] / 500.0
    >>> i_, ii = np.sin(2 * np.pi * 1.1 * t), np.cos(2 * np.pi * 1.7 * t)
    >>> x = np.hstack([i_, ii, ii - i_])                         # I, II, III: Einthoven holds
    >>> [(r["relation"], round(r["score"], 3)) for r in relation_scores(x, 500.0, ["I", "II", "III"])]
    [('II = I + III', 0.0)]
    """
    names = list(sig_name) if sig_name is not None else list(LEADS)
    limb = [lead for lead in LIMB_BASIS if lead in names]
    out = []
    for triple in combinations(limb, 3):
        x = np.stack([signal[:, names.index(lead)] for lead in triple], axis=1).astype(np.float64)
        ok = np.isfinite(x).all(axis=1)
        if ok.sum() < min_overlap_s * fs:
            continue
        x = x[ok] - np.median(x[ok], axis=0)
        rms = np.sqrt(np.mean(x * x, axis=0))
        if rms.min() < 1e-6:
            continue
        w = relation_weights(triple)
        r = x @ w
        r = r - np.median(r)
        score = float(np.sqrt(np.mean(r * r)) / np.median(np.abs(w) * rms))
        out.append({"leads": list(triple), "relation": _relation_text(triple, w), "seconds": round(ok.sum() / fs, 2),
                    "score": score})
    return out


def lead_checks(signal: np.ndarray, fs: float, sig_name: list[str] | None = None,
                threshold: float = RELATION_THRESHOLD) -> dict:
    """The lead-relation report of a digitised record: relations, per-lead confidence and reason, page verdict.

    Returns ``{"verdict", "reasons", "threshold", "relations": [...], "leads": {lead: {"confidence", "reason"}}}``;
    ``confidence`` is None for a lead no relation covers. Nothing in ``signal`` is changed.

    Example
    -------
    >>> t = np.arange(5000)[:, None] / 500.0
    >>> i_, ii = np.sin(2 * np.pi * 1.1 * t), np.cos(2 * np.pi * 1.7 * t) + 0.3 * np.sin(2 * np.pi * 5 * t)
    >>> limb = np.hstack([i_, ii, ii - i_, -(i_ + ii) / 2, i_ - ii / 2, ii - i_ / 2])
    >>> x = np.hstack([limb, np.sin(2 * np.pi * 1.3 * t)])
    >>> names = ["I", "II", "III", "aVR", "aVL", "aVF", "V1"]
    >>> lead_checks(x, 500.0, names)["verdict"]
    'confident'
    >>> swapped = x[:, [0, 5, 2, 3, 4, 1, 6]]                    # II and aVF swapped
    >>> report = lead_checks(swapped, 500.0, names)
    >>> flagged = {k for k, v in report["leads"].items() if (v["confidence"] or 0) < 0.5}
    >>> report["verdict"], {"II", "aVF"} <= flagged, report["leads"]["V1"]["confidence"]
    ('check leads', True, None)
    """
    names = list(sig_name) if sig_name is not None else list(LEADS)
    relations = relation_scores(signal, fs, names)
    for rel in relations:
        rel["holds"] = bool(rel["score"] <= threshold)
        rel["score"] = round(rel["score"], 4)
    shown = [lead for k, lead in enumerate(names) if np.isfinite(signal[:, k]).any()]
    leads: dict[str, dict] = {}
    for lead in shown:
        mine = [rel for rel in relations if lead in rel["leads"]]
        if not mine:
            why = ("no lead relation ties the precordial leads" if lead not in LIMB_BASIS
                   else "not shown at the same time as two other limb leads")
            leads[lead] = {"confidence": None, "reason": why}
            continue
        worst = max(mine, key=lambda rel: rel["score"])
        confidence = float(np.clip(1.0 - worst["score"] / (2.0 * threshold), 0.0, 1.0))
        if worst["holds"]:
            reason = f"confirmed by {len(mine)} relation(s), worst {worst['relation']} (residual {worst['score']:.0%})"
        else:
            reason = ("fails " + "; ".join(f"{rel['relation']} (residual {rel['score']:.0%})"
                                          for rel in mine if not rel["holds"])
                      + ": this lead or another in the relation is misnamed, misread or shifted in time")
        leads[lead] = {"confidence": round(confidence, 3), "reason": reason}
    failed = [rel for rel in relations if not rel["holds"]]
    suspects = [lead for lead, v in leads.items() if v["confidence"] is not None and v["confidence"] < 0.5]
    if not relations:
        verdict, reasons = "check leads", ["no three limb leads are shown at the same time: names not checked"]
    elif failed:
        verdict = "check leads"
        reasons = [f"{rel['relation']} fails over {rel['seconds']:g} s (residual {rel['score']:.0%} > "
                   f"{threshold:.0%})" for rel in failed]
        if suspects:
            reasons.append(f"in a failing relation: {', '.join(suspects)}")
    else:
        verdict, reasons = "confident", [f"{len(relations)} limb-lead relation(s) hold"]
    return {"verdict": verdict, "reasons": reasons, "threshold": threshold, "relations": relations, "leads": leads}
