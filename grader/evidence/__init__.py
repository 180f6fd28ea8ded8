"""Evidence: what a sandboxed run showed, folded from the probe's event log into immutable data."""
