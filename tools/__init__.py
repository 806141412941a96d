"""Developer tools: code and docs generated from the catalogue."""
