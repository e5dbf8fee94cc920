"""Digitisation: ECG paper images (scans, phone photos) to 12-lead WFDB records, and a renderer with exact truth."""
