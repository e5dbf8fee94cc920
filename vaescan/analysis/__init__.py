"""Analysis: disentanglement metrics against known factors, and factor-to-variable associations."""
