"""Reports and figures: ECGs on paper, trade-off tables and plots."""
