"""Quality assurance decisions: which calls to sample, how a scorecard scores a call (issue 14)."""
