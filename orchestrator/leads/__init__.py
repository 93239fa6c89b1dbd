"""Lead rules: what an attempt's outcome means for its lead, and whether a lead may be dialed now.

Pure functions of the lead, the campaign's rules and ``now`` (seconds since
the epoch, from events): the dialer core calls them, the store persists what
they decide.
"""
