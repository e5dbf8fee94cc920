"""The twelve standard ECG leads and how their names are spelled in the wild."""

from __future__ import annotations

LEADS: tuple[str, ...] = (
    "I", "II", "III", "aVR", "aVL", "aVF",
    "V1", "V2", "V3", "V4", "V5", "V6",
)
"""Standard lead order used everywhere in vaescan."""

EXTRA_LEADS: tuple[str, ...] = ("V3R", "V4R", "V5R", "V7", "V8", "V9")
"""Leads some pages print beyond the twelve (right-sided and posterior chest leads); kept under their own names."""

LIMB_LEADS: tuple[str, ...] = LEADS[:6]
PRECORDIAL_LEADS: tuple[str, ...] = LEADS[6:]

TERRITORIES: dict[str, tuple[str, ...]] = {
    "anterior": ("V1", "V2", "V3", "V4"),
    "inferior": ("II", "III", "aVF"),
    "lateral": ("I", "aVL", "V5", "V6"),
}
"""Leads facing each coronary territory: ``st_mv_<territory>`` is the mean ST level over them (features and
the synthetic cohort's truth alike)."""

_ALIASES = {name.upper(): name for name in LEADS}
_ALIASES.update({"D1": "I", "D2": "II", "D3": "III", "MLII": "II"})
_EXTRA_ALIASES = {name.upper(): name for name in EXTRA_LEADS}


def normalise_lead_name(name: str, extra: bool = False) -> str | None:
    """Return the standard spelling of a lead name, or ``None`` if it is not a 12-lead ECG lead.

    PTB-XL writes ``AVR``/``AVL``/``AVF``; other sources write ``avr``, ``Lead II`` or ``D2``.
    With ``extra``, the leads of :data:`EXTRA_LEADS` (``v4r`` -> ``V4R``) are recognised too.

    Example
    -------
    >>> normalise_lead_name("AVR"), normalise_lead_name("lead v1"), normalise_lead_name("EEG")
    ('aVR', 'V1', None)
    >>> normalise_lead_name("v4r"), normalise_lead_name("v4r", extra=True)
    (None, 'V4R')
    """
    key = name.strip().upper().replace(" ", "")
    if key.startswith("LEAD"):
        key = key[4:]
    return _ALIASES.get(key) or (_EXTRA_ALIASES.get(key) if extra else None)
