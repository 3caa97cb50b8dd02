"""Errors of the sinks package: what the sink, the overlay API and the CLI catch and show."""

from __future__ import annotations

from models.errors import MeeseeksError


class StoreError(MeeseeksError):
    """The graph store cannot do what was asked."""


class StoreInputError(StoreError):
    """A change, overlay, annotation or query argument the store refuses; nothing was written."""


class StoreConfigError(StoreError):
    """``MEESEEKS_STORE_URL`` (or the credentials beside it) does not name a usable store."""


class StoreUnavailableError(StoreError):
    """The store's server or file cannot be reached now; retrying later may succeed."""


class OverlayConflictError(StoreInputError):
    """An overlay version that exists with another definition, or is below the latest."""


class UnknownOverlayError(StoreInputError):
    """Annotations for an overlay that is not registered."""


class AnnotationConflictError(StoreInputError):
    """Annotations changed between reading and writing them; read again and retry."""
