"""Which partition a key lives on, computed the way Kafka's default partitioner does.

The edge stage sends each delta batch to an explicit partition so that every edge of a server
lands where Faust's router will look for that server's key (murmur2 of the serialized key).
"""

from __future__ import annotations

from functools import lru_cache

from aiokafka.partitioner import murmur2


@lru_cache(maxsize=131_072)
def partition_of(key: str, partitions: int) -> int:
    """Kafka's default partition of a raw utf-8 key."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions
