"""moto's in-process SQS is not thread-safe: a receive iterates a set that another thread's
delete changes ("Set changed size during iteration"). Tests that run competing consumer
threads against it share one client wrapped here, so calls reach moto one at a time, the
way a real SQS endpoint takes concurrent calls. Use it with short polls (wait 0): a long
poll would hold the lock for its whole wait."""

from __future__ import annotations

import functools
import threading
from typing import Any


class Serialized:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return attribute(*args, **kwargs)

        return call
