"""SMS broadcasts in the admin: its pages and Kannel's callbacks (delivery reports, replies); the sender
that talks to Kannel is a process of its own, `runner.sms_sender`."""
