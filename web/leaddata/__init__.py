"""Bought lead data: vendors, purchases, sample tests, hand-outs, destruction (issue 15)."""
