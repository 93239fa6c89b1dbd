"""SMS broadcasts, the pure decisions: the text (merge fields, encoding, parts), who may get it and when
(opt-out, quiet hours, segment), how fast (the rate), and when an unconfirmed send may be retried.

No IO: ``store.messaging`` persists what these decide, the sender process talks to Kannel.
"""
