"""Customers (coupons, consent, language) and staff."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import StaffNotFound
from core.model import Channel, Coupon, Customer, Language, Staff
from core.ports import Clock, CustomerStore, StaffStore


class CustomerService:
    def __init__(self, store: CustomerStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def get(self, phone: str) -> Customer | None:
        return await self._store.get(phone)

    async def register(self, phone: str, channel: Channel) -> Customer:
        return await self._store.ensure(phone, channel, self._clock())

    async def coupons(self, phone: str) -> Sequence[Coupon]:
        """Unredeemed, unexpired coupons, soonest expiry first."""
        return await self._store.coupons(phone, self._clock())

    async def opt_out(self, phone: str, source: str) -> None:
        """No more reminders or other unsolicited messages; `source` is consent evidence."""
        await self._store.set_opt_out(phone, True, source, self._clock())

    async def opt_in(self, phone: str, source: str) -> None:
        await self._store.set_opt_out(phone, False, source, self._clock())

    async def set_language(self, phone: str, language: Language) -> None:
        await self._store.set_language(phone, language, self._clock())


class StaffService:
    def __init__(self, store: StaffStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def add(self, phone: str, name: str | None = None) -> Staff:
        return await self._store.add(phone, name, self._clock())

    async def remove(self, phone: str) -> None:
        if not await self._store.remove(phone):
            raise StaffNotFound(f"{phone} is not staff")

    async def list(self) -> Sequence[Staff]:
        return await self._store.list()

    async def is_staff(self, phone: str) -> bool:
        return await self._store.is_staff(phone)
