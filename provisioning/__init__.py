"""Seats and PBX nodes turned into PBX configuration, pushed and reloaded (commit, then reload)."""
