"""Log-in, roles and per-page permissions, users, and the audit log of admin actions."""
