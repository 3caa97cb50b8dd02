"""Bring-up and shutdown order: the scope's dependency graph condensed and cut into waves.

Services that depend on each other in a cycle cannot start one after the other; the strongly
connected components become single steps, started together. The condensation is a DAG, and
its topological generations are waves whose steps can run in parallel: every step's
dependencies are in earlier bring-up waves, every step's dependents in earlier shutdown waves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import networkx as nx


@dataclass(frozen=True, slots=True)
class Step:
    """Services brought up (or shut down) as one: one service, or the members of a cycle."""

    id: int
    services: tuple[str, ...]
    """Sorted names."""

    @property
    def cycle(self) -> bool:
        return len(self.services) > 1

    @property
    def label(self) -> str:
        return self.services[0] if not self.cycle else "{" + ", ".join(self.services) + "}"


@dataclass(frozen=True, slots=True)
class Ordering:
    """The condensed scope and its waves."""

    steps: tuple[Step, ...]
    """By id."""
    step_of: Mapping[str, int]
    """Service name to the id of its step."""
    dag: nx.DiGraph[int]
    """Step -> the steps it depends on (client -> server, condensed)."""
    bring_up: tuple[tuple[int, ...], ...]
    """Waves of step ids, dependencies first."""
    shutdown: tuple[tuple[int, ...], ...]
    """Waves of step ids, dependents first."""

    @property
    def cycles(self) -> tuple[Step, ...]:
        """Steps of more than one service, by their first member."""
        return tuple(sorted((s for s in self.steps if s.cycle), key=lambda s: s.services))

    def dependencies_first(self) -> list[int]:
        """Every step id once, each after all of its dependencies."""
        return [step for wave in self.bring_up for step in wave]


def order(graph: nx.DiGraph[str]) -> Ordering:
    """Condense ``graph`` (client -> server edges) and cut it into waves both ways."""
    condensed = nx.condensation(graph)
    members: Mapping[int, set[str]] = nx.get_node_attributes(condensed, "members")
    # Ids follow the smallest member name, so equal graphs give equal plans whatever the
    # order their nodes were added in.
    renumber = {old: new for new, old in enumerate(sorted(members, key=lambda n: min(members[n])))}
    dag: nx.DiGraph[int] = nx.relabel_nodes(condensed, renumber, copy=True)
    steps = tuple(
        Step(renumber[old], tuple(sorted(names)))
        for old, names in sorted(members.items(), key=lambda item: renumber[item[0]])
    )
    step_of = {name: step.id for step in steps for name in step.services}
    return Ordering(
        steps=steps,
        step_of=MappingProxyType(step_of),
        dag=dag,
        bring_up=_waves(nx.topological_generations(dag.reverse(copy=False))),
        shutdown=_waves(nx.topological_generations(dag)),
    )


def _waves(generations: Iterable[Iterable[int]]) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(sorted(wave)) for wave in generations)


def keep(waves: tuple[tuple[int, ...], ...], wanted: set[int]) -> tuple[tuple[int, ...], ...]:
    """The waves with only ``wanted`` steps, empty waves dropped: the relative order of any two
    kept steps is that of the full graph, so transitive dependencies stay respected."""
    kept = (tuple(step for step in wave if step in wanted) for wave in waves)
    return tuple(wave for wave in kept if wave)
