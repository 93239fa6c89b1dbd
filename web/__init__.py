"""Flask admin and agent panel (app factory + blueprints, server-rendered)."""
