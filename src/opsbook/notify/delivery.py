"""Deliver through a channel with retries and exponential backoff; report every attempt."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from opsbook.notify.base import Channel, DeliveryError, Message

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Attempt:
    channel: str
    target: str
    number: int
    ok: bool
    error: str | None
    at: datetime


async def deliver(
    channel: Channel,
    target: str,
    message: Message,
    *,
    retries: int,
    backoff: float,
    clock: Callable[[], datetime],
    sleep: Sleep = asyncio.sleep,
) -> list[Attempt]:
    """Try up to `retries` times, waiting backoff, 2x backoff, ... between; return each attempt."""
    attempts: list[Attempt] = []
    for number in range(1, retries + 1):
        try:
            await channel.send(target, message)
        except DeliveryError as exc:
            attempts.append(Attempt(channel.name, target, number, False, str(exc), clock()))
            if number < retries:
                await sleep(backoff * 2 ** (number - 1))
            continue
        attempts.append(Attempt(channel.name, target, number, True, None, clock()))
        break
    return attempts
