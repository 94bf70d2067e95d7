"""Telegram channel (aiogram 3): the same draws, coupons and redemptions as SMS.

A Telegram user is the customer whose phone they shared from their own account. Handlers
get core services as Dispatcher workflow data; `app` builds the bot and wires it in.
"""
