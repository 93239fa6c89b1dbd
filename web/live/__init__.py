"""Live updates: one change poller per process, server-sent events to the pages."""
