"""Verifiable draws, the pure part: the seed chain, entries, u and the Merkle root."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from core import verify
from core.proof import chain_for, entry_of, new_chain, normalise_reference, reference_of

SEED = bytes(range(64))


def test_each_days_seed_hashes_to_the_day_before_and_the_first_to_the_commitment() -> None:
    chain = new_chain(date(2026, 12, 1), date(2026, 12, 31), SEED)
    dec1, dec2, dec31 = (chain.seed(date(2026, 12, d)) for d in (1, 2, 31))
    assert hashlib.sha256(dec2).digest() == dec1
    assert chain.commitment == hashlib.sha256(dec1).digest()
    assert verify.commitment_of(dec31, 30) == chain.commitment
    assert verify.commitment_of(dec2, 0) != chain.commitment


def test_the_chain_starts_on_the_creation_day_when_the_campaign_starts_later() -> None:
    created = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    starts, ends = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)
    chain = chain_for("Asia/Hong_Kong", starts, ends, created, SEED)
    assert chain.first_day == date(2026, 11, 20)
    assert chain.seed(date(2026, 12, 3)) != chain.seed(date(2026, 12, 2))


def test_an_entry_reveals_no_phone_and_differs_between_campaigns() -> None:
    phone = "+85291234567"
    entry = entry_of(b"k" * 32, phone)
    assert len(entry) == 24
    assert "8529" not in entry
    assert entry_of(b"k" * 32, phone) == entry
    assert entry_of(b"j" * 32, phone) != entry
    assert reference_of(entry) == entry[:8]
    assert normalise_reference(f" {entry[:4].lower()}-{entry[4:8]} ") == entry[:8]
    assert normalise_reference("short") is None


def test_u_is_uniform_over_100000_entries() -> None:
    """Chi-square over 100 equal bins, fixed seed and key: deterministic, never flaky."""
    seed, key, day = hashlib.sha256(b"fixed seed").digest(), b"fixed key" * 4, date(2026, 12, 1)
    n, bins = 100_000, 100
    counts = [0] * bins
    for i in range(n):
        u = verify.uniform(seed, 7, day, entry_of(key, f"+852{50000000 + i}"))
        assert 0.0 <= u < 1.0
        counts[int(u * bins)] += 1
    expected = n / bins
    chi2 = sum((c - expected) ** 2 / expected for c in counts)
    assert chi2 < 148.2  # 99 degrees of freedom, p = 0.001


def test_u_depends_on_the_seed_the_campaign_the_day_and_the_entry() -> None:
    seed, day = b"s" * 32, date(2026, 12, 1)
    u = verify.uniform(seed, 1, day, "ENTRY")
    assert u == verify.uniform(seed, 1, day, "ENTRY")
    others = {
        verify.uniform(b"t" * 32, 1, day, "ENTRY"),
        verify.uniform(seed, 2, day, "ENTRY"),
        verify.uniform(seed, 1, date(2026, 12, 2), "ENTRY"),
        verify.uniform(seed, 1, day, "ENTRX"),
    }
    assert u not in others
    assert len(others) == 4


def test_the_merkle_root_changes_with_any_entry_and_with_their_order() -> None:
    entries = [{"ref": f"E{i}", "outcome": "no_prize"} for i in range(5)]
    root = verify.merkle_root(entries)
    assert root == verify.merkle_root([dict(e) for e in entries])
    assert verify.merkle_root(entries[:4]) != root
    assert verify.merkle_root([entries[1], entries[0], *entries[2:]]) != root
    assert verify.merkle_root([*entries[:4], {"ref": "E4", "outcome": "won"}]) != root
    assert verify.merkle_root([]) == hashlib.sha256(b"").hexdigest()
