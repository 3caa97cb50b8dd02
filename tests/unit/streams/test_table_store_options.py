"""The RocksDB memory settings reach the edge table's store; the memory store gets none."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import SettingsError
from config.settings import load_settings
from streams.app import create_app
from streams.topology import table_store_options

MIB = 1024 * 1024


def test_the_settings_reach_the_edge_tables_rocksdb_options(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        table_write_buffer_bytes=8 * MIB,
        table_write_buffers=2,
        table_block_cache_bytes=16 * MIB,
    )
    app = create_app(settings)
    options = app.tables["edges"].data.rocksdb_options  # type: ignore[attr-defined]
    assert (options.write_buffer_size, options.max_write_buffer_number) == (8 * MIB, 2)
    assert options.block_cache_size == 16 * MIB


def test_defaults_bound_the_block_cache_and_keep_fausts_memtables(tmp_path: Path) -> None:
    assert table_store_options(load_settings(data_dir=tmp_path)) == {
        "write_buffer_size": 64 * MIB,
        "max_write_buffer_number": 3,
        "block_cache_size": 64 * MIB,
    }
    assert table_store_options(load_settings(data_dir=tmp_path, table_store="memory://")) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("table_write_buffers", 1),
        ("table_write_buffer_bytes", 1024),
        ("table_block_cache_bytes", -1),
    ],
)
def test_out_of_range_values_are_refused(name: str, value: int, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=name.upper()):
        load_settings(data_dir=tmp_path, **{name: value})
