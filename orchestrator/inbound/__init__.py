"""Inbound calls: the queue unit (``queue.py``) a node hosts next to its outbound campaigns."""
