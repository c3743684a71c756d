"""Lab code for the drift feature."""
