"""Inbound routes in the admin: a DID to a queue (the hotline) or a seat, with business hours."""
