"""The agents logged in on a node, whatever unit they work for (``pool.py``)."""
