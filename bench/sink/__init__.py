"""``make bench-sink``: how fast the graph sink writes the graph-changes topic into the store."""
