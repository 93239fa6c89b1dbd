"""Lists and leads: CSV/XLSX import (map, normalise, dedupe, DNC scrub, error report) and DNC management."""
