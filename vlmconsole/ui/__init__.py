"""The Textual console. Renders model state; all I/O goes through sources in workers."""
