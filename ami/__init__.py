"""Asterisk adapter over AMI (panoramisk, asyncio): translate events in, execute commands out."""
