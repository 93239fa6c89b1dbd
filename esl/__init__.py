"""FreeSWITCH adapter over ESL (greenswitch, gevent): translate events in, execute commands out.

``framing`` (bytes -> frames -> events), ``translate`` (events -> core events,
pure), ``render`` (core commands -> ESL text, pure), ``session`` (one
greenswitch session with a safe reader and timed sends), ``connection`` (the
supervised adapter a runner uses). Only ``session`` and ``connection`` import gevent.
"""
