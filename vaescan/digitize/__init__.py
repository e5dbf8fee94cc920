"""Digitisation: ECG paper images (scans, phone photos) to 12-lead WFDB records, and scoring the readout.

Pages (images, layouts, the renderer with exact truth, distortions) live in :mod:`vaescan.pages`.
"""
