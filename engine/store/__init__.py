"""SQL store: engine, sessions, tables and migrations."""
