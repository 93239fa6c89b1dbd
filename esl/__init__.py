"""FreeSWITCH adapter over ESL (greenswitch, gevent): translate events in, execute commands out.

``framing`` (bytes -> frames -> events), ``translate`` (events -> core events,
pure), ``render`` (core commands -> ESL text, pure), ``connection`` (the live
session: greenswitch + supervisor; the only module that imports gevent).
"""
