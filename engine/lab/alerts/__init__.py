"""Lab code for the alerts feature."""
