"""Carrier SIP trunks (sysadmins): create, edit, delete; each save re-provisions the trunk's nodes live."""
