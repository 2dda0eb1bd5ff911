"""Tests of the session exports: CSV, JSON Lines, the HTML report."""
