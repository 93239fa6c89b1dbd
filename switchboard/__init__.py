"""Process entry points and settings that wire the core, adapters and web together."""
