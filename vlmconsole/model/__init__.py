"""Pure state and math over what the sources return. No I/O, no clock reads, no textual."""
