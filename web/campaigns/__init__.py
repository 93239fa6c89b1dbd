"""Campaigns (supervisors): settings, lists and teams, dispositions, state now or on a schedule."""
