"""Errors at the boundary become data: a bad file is a sentence on its row, never a dead job."""

from __future__ import annotations


class MediaError(Exception):
    """A file we cannot read or decode; the message is shown to a person as-is.

    Write it as a short sentence about the file, e.g. "JPEG ends after 41% of its data" or
    "not a photo or video (looks like a PDF document)", never a stack trace or a class name.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
