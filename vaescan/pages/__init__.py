"""ECG pages: reading and writing page images, page layouts, the renderer (exact truth) and distortions.

The floor below the digitiser (:mod:`vaescan.digitize`), which reads these pages; nothing here imports it.
"""
