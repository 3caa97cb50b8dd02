"""The errors of overlays: a bad definition, a bad annotation batch, a bad query.

Each message names the overlay, the target and the field, and says which rule was broken, so
that whoever keeps the annotations file can fix it without reading code.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.errors import MeeseeksError

MAX_LISTED_PROBLEMS = 20
"""Problems spelled out in one message; the rest are counted."""


class OverlayError(MeeseeksError):
    """An overlay request that cannot be carried out as asked."""


class OverlayDefinitionError(OverlayError):
    """An overlay definition (schema) that does not parse or cannot replace the current one."""


class OverlayNotFoundError(OverlayError):
    """No overlay (or no such version of it) is registered under the name."""


class AnnotationError(OverlayError):
    """A batch of annotations that breaks its overlay's schema; nothing of it was stored."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(describe_problems("annotations rejected, nothing stored", problems))


class OverlayQueryError(OverlayError):
    """A query or selector over an overlay that is malformed or names unknown fields."""


def describe_problems(headline: str, problems: Sequence[str]) -> str:
    """One message for many problems: the first ``MAX_LISTED_PROBLEMS`` and a count."""
    shown = list(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - len(shown)
    if more > 0:
        shown.append(f"... and {more} more")
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    return f"{headline} ({count}):\n  " + "\n  ".join(shown)
