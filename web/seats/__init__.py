"""PBX nodes and SIP seats (sysadmins): create, bulk create, enable/disable, provision, live status."""
