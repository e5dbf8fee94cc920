"""Analysis of trained models: their metrics, traversals measured with the ECG features, (later) the trade-off."""
