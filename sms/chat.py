"""`luckydraw chat PHONE`: text the service from a terminal (or a pipe), line by line."""

from __future__ import annotations

import asyncio
from typing import TextIO

from sms.conversation import Conversation


async def run_chat(conversation: Conversation, phone: str, lines: TextIO, out: TextIO) -> None:
    """Each line read is one text message from `phone`; each reply is printed. Ends at EOF."""
    interactive = lines.isatty()
    while True:
        if interactive:
            print("> ", end="", file=out, flush=True)
        line = await asyncio.to_thread(lines.readline)
        if not line:
            return
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        reply = await conversation.reply(phone, text)
        print(reply if reply is not None else "(no reply)", file=out, flush=True)
