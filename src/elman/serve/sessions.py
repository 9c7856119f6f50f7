"""Sessions: the recurrent state of one client's stream (the keyboard case: each request
sends only the newly typed text), kept on the server between requests.

The store is bounded: at most ``max_sessions`` states, each dropped after ``idle_seconds``
without a request; opening one more when full drops the least recently used. A request for a
dropped session gets an error naming it, and the client starts a new one.
"""

import asyncio
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import bad


@dataclass
class Session:
    state: Any = None
    used: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Sessions:
    def __init__(self, *, max_sessions: int = 1000, idle_seconds: float = 600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_sessions, self.idle_seconds, self.clock = max_sessions, idle_seconds, clock
        self.items: OrderedDict[str, Session] = OrderedDict()

    def __len__(self) -> int:
        self.expire()
        return len(self.items)

    def open(self) -> tuple[str, Session]:
        """A new session's id and record, dropping the oldest when full."""
        self.expire()
        while len(self.items) >= self.max_sessions:
            self.items.popitem(last=False)
        sid = secrets.token_urlsafe(12)
        self.items[sid] = Session(used=self.clock())
        return sid, self.items[sid]

    def get(self, sid: str) -> Session:
        """The live session ``sid``, marked as used now."""
        self.expire()
        if sid not in self.items:
            raise bad("session", "the id of an open session (sessions close after "
                      f"{self.idle_seconds:g} s idle or when {self.max_sessions:,} newer ones "
                      "are open; send no session to start one)", repr(sid))
        self.items.move_to_end(sid)
        self.items[sid].used = self.clock()
        return self.items[sid]

    def close(self, sid: str):
        self.get(sid)
        del self.items[sid]

    def expire(self):
        now = self.clock()
        while self.items:
            sid, oldest = next(iter(self.items.items()))
            if now - oldest.used <= self.idle_seconds:
                break
            del self.items[sid]
