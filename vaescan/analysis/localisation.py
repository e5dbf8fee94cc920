"""Does an explanation point where the cause is? Localisation against the synthetic cohort's known causes.

Each label of the synthetic cohort is caused by a known change in known waves
(:data:`vaescan.data.synth.clinical.LABEL_DESCRIPTIONS`). :data:`DEFINING`
names, per label (and infarct stage), the lead x wave cells where that change
shows. For a record that truly has the label, an explanation *localises* when
its strongest positive lead x wave cell for that label is a defining one; its
*defining share* is the part of all its positive evidence that lies in defining cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vaescan.data.leads import LEADS, TERRITORIES

ALL = tuple(LEADS)

DEFINING: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    # label: {stage or "": (waves, leads)}
    "LBBB": {"": (("QRS",), ALL)},
    "RBBB": {"": (("QRS",), ALL)},
    "LVH": {"": (("QRS",), ALL)},
    "MI_ANT": {"": (("ST",), TERRITORIES["anterior"])},
    "MI_INF": {"": (("ST",), TERRITORIES["inferior"])},
    "AF": {"": (("TP",), ALL)},
    "LQT": {"": (("T",), ALL)},
    "HYPERK": {"": (("T",), ALL)},
    "AVB1": {"": (("PR",), ALL)},
}
"""Where each label's cause shows (waves, leads), as the black-box issue defines it: bundle-branch blocks and LVH
in the QRS, infarcts in the ST segment of their territory's leads (V1-V4 anterior; II, III, aVF inferior), long QT
and hyperkalaemia in the T wave, first-degree block in the PR segment, and AF where the P wave should be (with no
P wave, :mod:`vaescan.explain.waves` labels that stretch TP). The infarct stage (``mi_ant_stage``: acute ST
elevation, evolving, old Q waves and T inversion) is reported beside each hit: an old infarct's ST segment
carries the descent into its inverted T, not an elevation. A table may hold per-stage rules (keyed by stage)."""

STAGE_COLUMNS = {"MI_ANT": "mi_ant_stage", "MI_INF": "mi_inf_stage"}


def defining_cells(label: str, stage: str = "") -> set[tuple[str, str]]:
    """The (lead, wave) cells where ``label``'s cause shows (``stage`` for MI labels).

    Example
    -------
    >>> sorted(defining_cells("MI_ANT", "old"))[:2]
    [('V1', 'ST'), ('V2', 'ST')]
    >>> len(defining_cells("LBBB"))
    12
    """
    rules = DEFINING[label]
    waves, leads = rules.get(stage, rules.get("", None)) or next(iter(rules.values()))
    return {(lead, wave) for lead in leads for wave in waves}


def explanation_localisation(table: pd.DataFrame, metadata: pd.DataFrame,
                             labels: tuple[str, ...] | list[str] | None = None) -> pd.DataFrame:
    """Per true positive (record x label): its top lead x wave cell, whether it is defining, and the defining share.

    ``table`` is the long evidence table of many records (columns ``record_id``,
    ``output``, ``lead``, ``wave``, ``value``); ``metadata`` the cohort rows
    (``record_id``, 0/1 label columns and the MI stage columns). Where the cohort keeps the true cause beside a
    recorded label (``true_<label>``, the synthetic cohort's label noise), positives are the true ones. ``labels``
    defaults to those of :data:`DEFINING` present in both.

    Example
    -------
    >>> cells = [(lead, wave) for lead in LEADS for wave in ("QRS", "T")]
    >>> t = pd.DataFrame({"record_id": "r1", "output": "LBBB", "lead": [c[0] for c in cells],
    ...                   "wave": [c[1] for c in cells], "value": [3.0 if c == ("V6", "QRS") else 0.1 for c in cells]})
    >>> meta = pd.DataFrame({"record_id": ["r1"], "LBBB": [1]})
    >>> row = explanation_localisation(t, meta).iloc[0]
    >>> row.top_lead, row.top_wave, bool(row.hit)
    ('V6', 'QRS', True)
    """
    outputs = set(table["output"].unique())
    labels = [lab for lab in (labels or DEFINING) if lab in outputs and lab in metadata.columns]
    meta = metadata.set_index(metadata["record_id"].astype(str))
    rows = []
    for (record_id, output), cells in table[table["output"].isin(labels)].groupby(["record_id", "output"],
                                                                                  sort=False):
        record_id = str(record_id)
        truth = f"true_{output}" if f"true_{output}" in meta.columns else output  # the cause, not a misread label
        if record_id not in meta.index or not meta.at[record_id, truth]:
            continue
        stage = str(meta.at[record_id, STAGE_COLUMNS[output]]) if output in STAGE_COLUMNS and \
            STAGE_COLUMNS[output] in meta.columns else ""
        defining = defining_cells(output, stage)
        is_defining = np.array([(lead, wave) in defining for lead, wave in zip(cells["lead"], cells["wave"])])
        values = cells["value"].to_numpy(float)
        top = int(np.argmax(values))
        positive = np.clip(values, 0, None)
        rows.append({"record_id": record_id, "label": output, "stage": stage,
                     "top_lead": cells["lead"].iloc[top], "top_wave": cells["wave"].iloc[top],
                     "hit": bool(is_defining[top] and values[top] > 0),
                     "defining_share": float(positive[is_defining].sum() / positive.sum()) if positive.sum() > 0
                     else float("nan")})
    return pd.DataFrame(rows, columns=["record_id", "label", "stage", "top_lead", "top_wave", "hit",
                                       "defining_share"])


def localisation_summary(per_record: pd.DataFrame) -> pd.DataFrame:
    """Per label: true positives explained, share whose top cell is defining (``top_hit``), mean defining share.

    Example
    -------
    >>> per = pd.DataFrame({"label": ["LBBB", "LBBB"], "hit": [True, False], "defining_share": [0.8, 0.4]})
    >>> localisation_summary(per).loc["LBBB"].round(3).tolist()
    [2.0, 0.5, 0.6]
    """
    grouped = per_record.groupby("label")
    return pd.DataFrame({"n": grouped.size().astype(float), "top_hit": grouped["hit"].mean(),
                         "defining_share": grouped["defining_share"].mean()})


FEATURE_WAVES: dict[str, tuple[str, ...]] = {
    "hr_bpm": ("TP",), "rr_ms": ("TP",), "rr_irregularity": ("TP",), "pr_ms": ("PR",), "qrs_ms": ("QRS",),
    "qt_ms": ("T",), "qtc_bazett_ms": ("T",), "qtc_fridericia_ms": ("T",), "axis_deg": ("QRS",),
    "r_amp_mv": ("QRS",), "s_amp_mv": ("QRS",), "st_mv": ("ST",), "t_amp_mv": ("T",),
}
"""Engineered feature (or its prefix before ``_<lead>`` / ``_<territory>``) -> the waves it measures: heart rate
and rhythm in the stretch between beats (TP, where AF's missing P wave lies), the QT and its corrections at the T
wave's end, amplitudes in their wave."""


def input_cells(name: str) -> set[tuple[str, str]]:
    """The (lead, wave) cells an engineered feature or an anchored factor (``z0 qrs_ms``) measures; empty for a
    factor without an anchor (``z5``) or an unknown name. A lead or territory suffix limits the leads.

    Example
    -------
    >>> sorted(input_cells("st_mv_V2")), len(input_cells("z0 qrs_ms")), input_cells("z5")
    ([('V2', 'ST')], 12, set())
    >>> sorted(input_cells("st_mv_inferior"))
    [('II', 'ST'), ('III', 'ST'), ('aVF', 'ST')]
    """
    name = name.split(" ", 1)[1] if name.startswith("z") and " " in name else name
    for prefix, waves in FEATURE_WAVES.items():
        if name == prefix:
            leads: tuple[str, ...] = ALL
        elif name.startswith(prefix + "_") and (name[len(prefix) + 1:] in LEADS
                                               or name[len(prefix) + 1:] in TERRITORIES):
            rest = name[len(prefix) + 1:]
            leads = (rest,) if rest in LEADS else TERRITORIES[rest]
        else:
            continue
        return {(lead, wave) for lead in leads for wave in waves}
    return set()


def input_localisation(contributions: np.ndarray, input_names: list[str], record_ids: list[str],
                       labels: list[str], metadata: pd.DataFrame) -> pd.DataFrame:
    """Localisation of a model over named inputs (engineered features, anchored factors): per record and its
    label (``labels[i]``, a label the record truly has), its top positive input (``contributions`` (records,
    inputs) for that label) and whether that input measures one of the label's defining cells
    (:func:`input_cells`, :func:`defining_cells`; an input with no known cells, e.g. an unanchored factor, is a
    miss), and the defining share of the positive contributions.

    Example
    -------
    >>> meta = pd.DataFrame({"record_id": ["r1", "r2"], "LBBB": [1, 1]})
    >>> c = np.array([[3.0, 0.5, 1.0], [0.1, 2.0, 0.2]])
    >>> per = input_localisation(c, ["qrs_ms", "pr_ms", "z3"], ["r1", "r2"], ["LBBB", "LBBB"], meta)
    >>> per.hit.tolist(), per.top_input.tolist(), per.defining_share.round(3).tolist()
    ([True, False], ['qrs_ms', 'pr_ms'], [0.667, 0.043])
    """
    meta = metadata.set_index(metadata["record_id"].astype(str))
    cells = [input_cells(name) for name in input_names]
    rows = []
    for values, record_id, label in zip(np.asarray(contributions, dtype=float), record_ids, labels):
        stage = str(meta.at[str(record_id), STAGE_COLUMNS[label]]) if label in STAGE_COLUMNS and \
            STAGE_COLUMNS[label] in meta.columns else ""
        defining = defining_cells(label, stage)
        is_defining = np.array([bool(c & defining) for c in cells])
        top = int(np.argmax(values))
        positive = np.clip(values, 0, None)
        rows.append({"record_id": str(record_id), "label": label, "stage": stage, "top_input": input_names[top],
                     "hit": bool(is_defining[top] and values[top] > 0),
                     "defining_share": float(positive[is_defining].sum() / positive.sum()) if positive.sum() > 0
                     else float("nan")})
    return pd.DataFrame(rows, columns=["record_id", "label", "stage", "top_input", "hit", "defining_share"])
