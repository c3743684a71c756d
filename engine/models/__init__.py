"""Model lifecycle: MLflow aliases moved behind gates, approvals and a history."""
