"""Editing a running campaign (PRODUCT.md, "Editing a campaign"), as a pure decision.

An edit is a partial campaign in the file format: the fields it names replace the current
ones; `prizes`, when given, is the new list in order, where an entry with an `id` changes that
prize (fields left out stay) and one without adds a prize. The merged campaign passes the same
validation as a new one (core.validation), then the rules that depend on what has happened:

- `keyword`, `timezone` and `starts_at` are fixed once the campaign has started;
- `ends_at` may not move before now;
- a quota may be raised any time and lowered down to what was issued (today, for a daily one);
- a prize that issued coupons cannot be removed (set its total quota to what was issued).

The store calls `plan_edit` under its locks, with the counts it just made exact.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from core.errors import EditRefused, InvalidCampaign, InvalidTransition
from core.model import (
    Campaign,
    CampaignSpec,
    CampaignStatus,
    FieldChange,
    OpenHours,
    Prize,
    PrizeSpec,
)
from core.validation import campaign_from_mapping, validated

FIXED_ONCE_STARTED = ("keyword", "timezone", "starts_at")
_CAMPAIGN_FIELDS = tuple(f.name for f in dataclasses.fields(CampaignSpec) if f.name != "prizes")
_PRIZE_FIELDS = tuple(f.name for f in dataclasses.fields(PrizeSpec))


@dataclass(frozen=True, slots=True)
class Issued:
    """Coupons a prize has issued, in all and on the campaign's current local day."""

    total: int = 0
    today: int = 0


@dataclass(frozen=True, slots=True)
class CampaignEdit:
    spec: CampaignSpec  # the campaign after the edit
    prize_ids: tuple[int | None, ...]  # per prize of `spec`: the prize it changes, None if new
    removed: tuple[int, ...]  # prizes taken out of the campaign
    changes: tuple[FieldChange, ...]  # empty: the edit changes nothing


def plan_edit(
    current: Campaign, patch: Any, issued: Mapping[int, Issued], now: datetime
) -> CampaignEdit:
    """The campaign after `patch`, or the refusal (InvalidCampaign, naming the field)."""
    if not isinstance(patch, Mapping):
        raise InvalidCampaign("an edit must be a mapping of fields", field=None)
    if current.status is CampaignStatus.ENDED:
        raise InvalidTransition("an ended campaign cannot be edited", field="status")
    merged = campaign_mapping(current)
    merged.update({k: v for k, v in patch.items() if k != "prizes"})
    prizes = patch.get("prizes", [{"id": p.id} for p in current.prizes])
    merged["prizes"], prize_ids = _merge_prizes(current, prizes)
    spec = validated(campaign_from_mapping(merged))
    _check_fixed_fields(current, spec, now)
    if spec.ends_at != current.ends_at and spec.ends_at < now:
        raise InvalidCampaign("ends_at cannot be before now", field="ends_at")
    removed = tuple(p.id for p in current.prizes if p.id not in prize_ids)
    _check_quotas(current, spec, prize_ids, removed, issued)
    return CampaignEdit(
        spec=spec,
        prize_ids=prize_ids,
        removed=removed,
        changes=_changes(current, spec, prize_ids, removed),
    )


def campaign_mapping(campaign: Campaign) -> dict[str, Any]:
    """A stored campaign in the file format (prizes with their `id`), as edits start from."""
    data: dict[str, Any] = {f: _plain(getattr(campaign, f)) for f in _CAMPAIGN_FIELDS}
    data["prizes"] = [_prize_mapping(p) for p in campaign.prizes]
    return data


def _prize_mapping(prize: Prize) -> dict[str, Any]:
    return {"id": prize.id} | {f: _plain(getattr(prize, f)) for f in _PRIZE_FIELDS}


def _merge_prizes(current: Campaign, value: Any) -> tuple[list[Any], tuple[int | None, ...]]:
    if not isinstance(value, list):
        return value, ()  # validation names the problem
    by_id = {p.id: p for p in current.prizes}
    merged: list[Any] = []
    ids: list[int | None] = []
    for i, item in enumerate(value):
        if not isinstance(item, Mapping) or item.get("id") is None:
            # A new prize: validation asks for every field.
            merged.append(_without_id(item) if isinstance(item, Mapping) else item)
            ids.append(None)
            continue
        prize_id = item["id"]
        if isinstance(prize_id, bool) or prize_id not in by_id or prize_id in ids:
            raise InvalidCampaign(
                f"prize id {prize_id!r} is not a prize of this campaign (or is listed twice)",
                field=f"prizes.{i}.id",
            )
        base = _prize_mapping(by_id[prize_id])
        del base["id"]
        merged.append(base | _without_id(item))
        ids.append(prize_id)
    return merged, tuple(ids)


def _without_id(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "id"}


def _check_fixed_fields(current: Campaign, spec: CampaignSpec, now: datetime) -> None:
    if now < current.starts_at:
        return
    for name in FIXED_ONCE_STARTED:
        if getattr(spec, name) != getattr(current, name):
            raise EditRefused(f"{name} is fixed once the campaign has started", field=name)


def _check_quotas(
    current: Campaign,
    spec: CampaignSpec,
    prize_ids: tuple[int | None, ...],
    removed: tuple[int, ...],
    issued: Mapping[int, Issued],
) -> None:
    names = {p.id: p.name for p in current.prizes}
    for prize_id in removed:
        count = issued.get(prize_id, Issued()).total
        if count:
            raise EditRefused(
                f"prize {names[prize_id]!r} issued {count} coupons and cannot be removed; "
                f"set its total_quota to {count} instead",
                field="prizes",
            )
    for i, (prize, kept) in enumerate(zip(spec.prizes, prize_ids, strict=True)):
        if kept is None:
            continue
        done = issued.get(kept, Issued())
        if prize.total_quota < done.total:
            raise EditRefused(
                f"total_quota cannot be below the {done.total} coupons already issued",
                field=f"prizes.{i}.total_quota",
            )
        if prize.daily_quota < done.today:
            raise EditRefused(
                f"daily_quota cannot be below the {done.today} coupons issued today",
                field=f"prizes.{i}.daily_quota",
            )


def _changes(
    current: Campaign,
    spec: CampaignSpec,
    prize_ids: tuple[int | None, ...],
    removed: tuple[int, ...],
) -> tuple[FieldChange, ...]:
    changes = [
        FieldChange(f, _plain(getattr(current, f)), _plain(getattr(spec, f)))
        for f in _CAMPAIGN_FIELDS
        if getattr(current, f) != getattr(spec, f)
    ]
    by_id = {p.id: p for p in current.prizes}
    for prize, prize_id in zip(spec.prizes, prize_ids, strict=True):
        if prize_id is None:
            after = {f: _plain(getattr(prize, f)) for f in _PRIZE_FIELDS}
            changes.append(FieldChange(f"prizes[{prize.name}]", None, after))
            continue
        old = by_id[prize_id]
        changes.extend(
            FieldChange(f"prizes[{old.name}].{f}", _plain(getattr(old, f)), _plain(v))
            for f in _PRIZE_FIELDS
            if (v := getattr(prize, f)) != getattr(old, f)
        )
    for prize_id in removed:
        gone = by_id[prize_id]
        before = {f: _plain(getattr(gone, f)) for f in _PRIZE_FIELDS}
        changes.append(FieldChange(f"prizes[{gone.name}]", before, None))
    if [p for p in prize_ids if p is not None] != [
        p.id for p in current.prizes if p.id not in removed
    ]:
        changes.append(
            FieldChange(
                "prizes.order", [p.name for p in current.prizes], [p.name for p in spec.prizes]
            )
        )
    return tuple(changes)


def _plain(value: Any) -> Any:
    """A JSON value for a field: times as ISO text, enums as their value."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, OpenHours):
        return str(value)
    return value
