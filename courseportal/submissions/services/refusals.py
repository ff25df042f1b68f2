"""What a service raises when it stores nothing: a message for the person who asked."""

from __future__ import annotations


class Refused(ValueError):
    """Nothing was stored; ``message`` says why and what to do, in the asker's words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
