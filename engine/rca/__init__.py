"""Root-cause hypotheses: ranking, simulation and evaluation (issue 8, engine side)."""
