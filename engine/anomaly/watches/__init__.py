"""Metric watches: scheduled anomaly detection and forecasts feeding the alert pipeline."""
