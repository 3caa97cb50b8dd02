"""A minimal app on the project's factory: count words from a topic into a table, serve it."""

from __future__ import annotations

import os
from typing import Any

from config.settings import load_settings
from streams.app import create_app

app = create_app(load_settings())
words = app.topic(
    os.environ["COUNTER_TOPIC"],
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
counts = app.Table("word-counts", default=int, partitions=4)


@app.agent(words)
async def count_words(stream: Any) -> None:
    async for word in stream:
        counts[word.decode()] += 1


@app.page("/counts/{word}/")
@app.table_route(table=counts, match_info="word")
async def get_count(web: Any, request: Any, word: str) -> Any:
    return web.json({"word": word, "count": counts[word]})


if __name__ == "__main__":
    app.main()
