"""Live wallboard: agent states, calls in progress, dial levels, abandon rates against the cap."""
