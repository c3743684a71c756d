"""Lab code for the rca feature."""
