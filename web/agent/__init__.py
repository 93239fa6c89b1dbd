"""The agent panel: seat log-in, ready/pause, screen pop, preview dial, disposition, callbacks, script."""
