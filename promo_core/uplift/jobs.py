"""One training at a time per process, first come first served.

Streamlit runs every browser session as a thread of one process; two sessions fitting
LightGBM at once would oversubscribe a 2-core machine (seen to stall for minutes).
Jobs take a ticket and wait their turn; while waiting, ``on_wait(ahead)`` is called
about every ``poll`` seconds so a page can say "waiting: 1 job ahead".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class TrainingQueue:
    """A FIFO lock: ``with queue.slot(on_wait): ...`` runs when it is this job's turn."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_ticket = 0
        self._serving = 0

    @property
    def waiting(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return self._next_ticket - self._serving

    @contextmanager
    def slot(self, on_wait: Callable[[int], None] | None = None, poll: float = 0.5
             ) -> Iterator[None]:
        with self._cond:
            ticket = self._next_ticket
            self._next_ticket += 1
            while ticket != self._serving:
                if on_wait:
                    on_wait(ticket - self._serving)
                self._cond.wait(timeout=poll)
        try:
            yield
        finally:
            with self._cond:
                self._serving += 1
                self._cond.notify_all()


TRAINING_QUEUE = TrainingQueue()


def run_training_job(fn: Callable[..., object], *args, on_wait: Callable[[int], None] | None
                     = None, **kwargs) -> object:
    """Run ``fn(*args, **kwargs)`` when no other training job of this process is running."""
    with TRAINING_QUEUE.slot(on_wait):
        return fn(*args, **kwargs)
