"""A minimal app on the project's factory: count words from a topic into a table, serve it.

Each count remembers the offset of the last message it includes, so a message replayed after a
crash (Kafka offsets are committed after the table write) is not counted twice. The stream
tables of Meeseeks use the same rule.
"""

from __future__ import annotations

import os
from typing import Any

from config.settings import load_settings
from streams.app import create_app

app = create_app(load_settings(), topology=False)
words = app.topic(
    os.environ["COUNTER_TOPIC"],
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
counts = app.Table("word-counts", default=dict, partitions=4)


@app.agent(words)
async def count_words(stream: Any) -> None:
    async for event in stream.events():
        word = event.value.decode()
        offset = event.message.offset
        current = counts[word]
        if offset <= current.get("offset", -1):
            # Counted before a restart, but that write may not have reached the changelog:
            # write it again so the changelog catches up with the local store.
            counts[word] = current
            continue
        counts[word] = {"count": current.get("count", 0) + 1, "offset": offset}


@app.page("/counts/{word}/")
@app.table_route(table=counts, match_info="word")
async def get_count(web: Any, request: Any, word: str) -> Any:
    return web.json({"word": word, "count": counts[word].get("count", 0)})


if __name__ == "__main__":
    app.main()
