"""Public pages, no sign-in: the official rules of each campaign (and, later, its proofs).

A channel like sms/ and bot/: it calls core use cases and renders what they answer.
"""
