"""Figures: beats, traversals and training curves. Trade-off tables and plots are planned, not built yet."""
