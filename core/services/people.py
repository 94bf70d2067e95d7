"""Customers (coupons, consent, language) and staff."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import CustomerNotFound, StaffNotFound
from core.model import Channel, Coupon, Customer, CustomerHistory, Language, Staff
from core.ports import Clock, CustomerStore, DrawGate, StaffStore, TelegramLink, TelegramLinks


class CustomerService:
    def __init__(
        self, store: CustomerStore, clock: Clock, gate: DrawGate, links: TelegramLinks
    ) -> None:
        self._store = store
        self._clock = clock
        self._gate = gate
        self._links = links

    async def get(self, phone: str) -> Customer | None:
        return await self._store.get(phone)

    async def register(self, phone: str, channel: Channel) -> Customer:
        return await self._store.ensure(phone, channel, self._clock())

    async def history(self, phone: str, limit: int = 100) -> CustomerHistory:
        """The customer with their latest draws and coupons; raises CustomerNotFound."""
        customer = await self._store.get(phone)
        if customer is None:
            raise CustomerNotFound(f"no customer {phone}")
        draws, coupons = await self._store.history(phone, limit)
        consent, messages = await self._store.contact_log(phone, limit)
        return CustomerHistory(
            customer, tuple(draws), tuple(coupons), tuple(consent), tuple(messages)
        )

    async def coupons(self, phone: str) -> Sequence[Coupon]:
        """Unredeemed, unexpired coupons, soonest expiry first."""
        return await self._store.coupons(phone, self._clock())

    async def opt_out(self, phone: str, source: str) -> None:
        """No more reminders or other unsolicited messages; `source` is consent evidence."""
        await self._store.set_opt_out(phone, True, source, self._clock())

    async def opt_in(self, phone: str, source: str) -> None:
        await self._store.set_opt_out(phone, False, source, self._clock())

    async def set_language(self, phone: str, language: Language) -> None:
        user_id = await self._store.set_language(phone, language, self._clock())
        if user_id is not None:
            await self._links.put(user_id, TelegramLink(phone, language), replace=True)
        # Today's remembered draw would answer a repeat in the old language.
        await self._gate.forget(phone)

    async def telegram_customer(self, user_id: int) -> Customer | None:
        """The customer who shared their phone from this Telegram account, if any."""
        return await self._store.by_telegram(user_id)

    async def telegram_link(self, user_id: int) -> TelegramLink | None:
        """What a /draw from this account needs, without the database when the copy has it.

        Opt-out and blocking are not in it: a draw does not depend on them.
        """
        link = await self._links.get(user_id)
        if link is not None:
            return link
        customer = await self._store.by_telegram(user_id)
        if customer is None:
            return None
        link = TelegramLink(customer.phone, customer.language)
        await self._links.put(user_id, link, replace=False)
        return link

    async def link_telegram(self, user_id: int, phone: str) -> Customer:
        """This Telegram account is the customer with `phone` (E.164) from now on.

        Callers must have checked that Telegram vouches for the number (the sender's own
        contact); SMS and Telegram then share one customer and one draw a day.
        """
        customer, unlinked = await self._store.link_telegram(phone, user_id, self._clock())
        if unlinked is not None:  # the phone's previous account is nobody's now
            await self._links.forget(unlinked)
        link = TelegramLink(customer.phone, customer.language)
        await self._links.put(user_id, link, replace=True)
        return customer

    async def telegram_blocked(self, phone: str) -> None:
        """The customer blocked the bot: nothing more goes to them on Telegram."""
        await self._store.set_telegram_blocked(phone, True, self._clock())

    async def telegram_back(self, phone: str) -> None:
        """The customer wrote to the bot again, so it may message them."""
        await self._store.set_telegram_blocked(phone, False, self._clock())


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
