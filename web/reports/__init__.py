"""Reports per team and per agent: volume (dials, connects, talk time, occupancy) and sales by disposition."""
