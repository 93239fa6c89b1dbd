"""Quality assurance pages: sampling policies and work lists, scorecard forms, scoring, agents' replies."""
