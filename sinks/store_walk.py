"""k-hop neighbourhoods walked level by level, one indexed edge lookup per level and direction.

Both backends walk the same way, so they agree on distances, on ``via`` (a node reached only
through an excluded edge is not reached) and on cycles; the cost follows the neighbourhood,
not the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from models.query_input import Direction

Step = Callable[[Collection[str], bool], Iterable[tuple[str, str]]]
"""``step(frontier, downstream)``: (next node, edge key) for every edge leaving the frontier,
client to server when ``downstream``, else server to client."""


def walk(
    start: str,
    direction: Direction,
    hops: int,
    step: Step,
    via: Collection[str] | None = None,
) -> dict[str, int]:
    """Nodes within ``hops`` of ``start`` to their shortest distance, ``start`` left out."""
    ways = {Direction.DOWN: (True,), Direction.UP: (False,), Direction.BOTH: (True, False)}
    found: dict[str, int] = {}
    for downstream in ways[direction]:
        distances = {start: 0}
        frontier = {start}
        for depth in range(1, hops + 1):
            reached = {
                node
                for node, key in step(sorted(frontier), downstream)
                if node not in distances and (via is None or key in via)
            }
            if not reached:
                break
            distances.update(dict.fromkeys(reached, depth))
            frontier = reached
        for node, depth in distances.items():
            found[node] = min(depth, found.get(node, depth))
    found.pop(start, None)
    return found
