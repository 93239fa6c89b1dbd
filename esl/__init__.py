"""FreeSWITCH adapter over ESL (greenswitch, gevent): translate events in, execute commands out."""
