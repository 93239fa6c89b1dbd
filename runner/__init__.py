"""The AMI runner: one process per Asterisk node, wiring the pure dialer core to AMI and the database."""
