"""Core results and refusals as Telegram texts: the shared wording, preferring `tg.` keys
(which name slash commands where SMS texts say "Reply COUPONS")."""

from __future__ import annotations

from core.replies import Wording

TELEGRAM = Wording("tg.")
text = TELEGRAM.text
draw_text = TELEGRAM.draw
coupons_text = TELEGRAM.coupons
proof_text = TELEGRAM.proof
redemption_text = TELEGRAM.redemption
help_text = TELEGRAM.help
rules_text = TELEGRAM.rules_link
refusal_text = TELEGRAM.refusal
