"""Templates rendered into each PBX's dialplan and configuration files."""
