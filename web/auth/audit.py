"""The audit log: who changed what, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy.orm import Session

from store.models import AuditLog


def record(
    session: Session, action: str, target_type: str = "", target_id: object = "", **details: Any
) -> None:
    """Add an audit row for the current user (committed with the caller's change)."""
    user = current_user if has_request_context() and current_user.is_authenticated else None
    session.add(
        AuditLog(
            user_id=user.id if user else None,
            actor=user.username if user else "system",
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
            ip=request.remote_addr if has_request_context() else None,
        )
    )
