"""Session exports: CSV, JSON Lines and the HTML report."""
