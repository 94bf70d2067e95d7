"""The operators' audit trail beyond campaign edits: who looked at personal data, and when."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import CustomerNotFound
from core.model import AuditAction, AuditEntry
from core.phone import mask
from core.ports import AuditStore, Clock, CustomerStore


class AuditService:
    def __init__(self, store: AuditStore, customers: CustomerStore, clock: Clock) -> None:
        self._store = store
        self._customers = customers
        self._clock = clock

    async def reveal_phone(self, phone: str, actor: str) -> str:
        """The customer's full number, once the asking is on record (the entry names the
        number masked, so the trail itself does not spread it)."""
        if await self._customers.get(phone) is None:
            raise CustomerNotFound(f"no customer {mask(phone)}")
        await self._store.record(
            AuditEntry(
                at=self._clock(), actor=actor, action=AuditAction.REVEAL_PHONE, subject=mask(phone)
            )
        )
        return phone

    async def recent(self, limit: int = 200) -> Sequence[AuditEntry]:
        """Every campaign's and customer's entries, newest first."""
        return await self._store.trail(None, limit)
