"""Errors of the capture package: what a caller can catch and show to an operator."""

from __future__ import annotations

from models.errors import MeeseeksError


class CaptureError(MeeseeksError):
    """A capture source cannot be read."""


class NotACaptureError(CaptureError):
    """The file is not a pcap or pcapng capture, or its file header is cut short."""
