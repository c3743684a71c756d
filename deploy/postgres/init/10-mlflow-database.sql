-- Runs once when the PostgreSQL volume is empty: MLflow keeps its registry in its own
-- database so that opsbot's migrations and MLflow's never touch each other's tables.
CREATE DATABASE mlflow OWNER opsbot;
