"""Everything that talks to the world (HTTP, Docker, files). Never imports textual."""
