"""The built-in vLLM-compatible demo server."""
