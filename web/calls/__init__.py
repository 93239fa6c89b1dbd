"""Call log (search) and recordings (stream with range requests, download), for authorized roles."""
