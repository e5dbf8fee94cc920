"""Data layer: WFDB records, cohorts (PTB-XL, synthetic), median beats and interval features."""
