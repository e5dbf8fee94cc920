"""Statistics that need no model and no ECG: correlations, bootstrap intervals, disentanglement scores."""
