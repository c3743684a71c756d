"""Lab code for the anomaly feature."""
