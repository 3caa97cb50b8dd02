"""The one typed settings object.

Values come, highest priority first, from keyword arguments, ``MEESEEKS_*`` environment
variables, and an optional TOML file named by ``MEESEEKS_CONFIG_FILE``. Nothing is read at
import time: a :class:`Settings` reads its sources when it is created.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from config.errors import SettingsError

ENV_PREFIX = "MEESEEKS_"
CONFIG_FILE_VARIABLE = "MEESEEKS_CONFIG_FILE"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class Settings(BaseSettings):
    """Everything an operator can set; each field is documented in docs/settings.md."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        frozen=True,
        validate_default=True,
    )

    log_level: LogLevel = Field("INFO", description="Log level of every command.")

    # Kafka
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated host:port."
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", description="How every Kafka client of Meeseeks talks to the brokers."
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "PLAIN", description="SASL mechanism when the protocol is SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_username: str = Field("", description="SASL user name (SASL protocols only).")
    kafka_sasl_password: SecretStr = Field(
        SecretStr(""), description="SASL password (SASL protocols only)."
    )
    kafka_ssl_cafile: Path | None = Field(
        None, description="CA bundle that signs the brokers' certificates (SSL protocols)."
    )
    kafka_ssl_certfile: Path | None = Field(
        None, description="Client certificate for brokers that require one (SSL protocols)."
    )
    kafka_ssl_keyfile: Path | None = Field(
        None, description="Private key of the client certificate (SSL protocols)."
    )
    kafka_ssl_check_hostname: bool = Field(
        True, description="Check that a broker's certificate names the host connected to."
    )
    kafka_version: str = Field(
        "3.9.2", description="Version of the local development broker (`make kafka-up`)."
    )
    kafka_port: int = Field(
        9092, ge=1, le=65535, description="Client port of the local development broker."
    )
    kafka_controller_port: int = Field(
        9093, ge=1, le=65535, description="KRaft controller port of the local development broker."
    )
    kafka_heap: str = Field("512m", description="Maximum Java heap of the local broker (-Xmx).")
    kafka_home: Path = Field(
        Path(".kafka"), description="Folder for the broker's jars, data and logs (git-ignored)."
    )

    # Faust worker
    app_id: str = Field("meeseeks", description="Faust application id (prefix of its topics).")
    web_host: str = Field("127.0.0.1", description="Address the worker's web server binds to.")
    web_port: int = Field(6066, ge=1, le=65535, description="Port of the worker's web server.")
    data_dir: Path = Field(
        Path(".meeseeks/data"), description="Worker state (RocksDB tables); one per worker."
    )
    topic_partitions: int = Field(
        4, ge=1, le=1024, description="Partitions of the topics and tables the app creates."
    )
    topic_replication_factor: int = Field(
        1, ge=1, le=16, description="Replication factor of the topics the app creates."
    )
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        "at_least_once",
        description=(
            "Faust processing guarantee. Meeseeks' tables skip messages they already applied "
            "(by offset), so at_least_once never double-counts after a crash."
        ),
    )
    producer_linger_ms: int = Field(
        0, ge=0, le=1000, description="How long the worker's producer waits to fill a request."
    )
    table_store: str = Field(
        "rocksdb://", description="Faust table store: rocksdb:// (durable) or memory://."
    )
    gc_interval_seconds: float = Field(
        60.0,
        ge=1.0,
        le=3600.0,
        description=(
            "Seconds between the worker's full garbage collections (they free the reference "
            "cycles asyncio and Faust leave; the collector's own thresholds are set high)."
        ),
    )
    table_write_buffer_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024 * 1024,
        le=1024 * 1024 * 1024,
        description=(
            "RocksDB memtable size of one table partition: writes collect there until it is "
            "flushed to disk."
        ),
    )
    table_write_buffers: int = Field(
        3,
        ge=2,
        le=16,
        description=(
            "Memtables one table partition may hold (the one written and those being flushed); "
            "with the size above, the bound of its unflushed writes in memory."
        ),
    )
    table_block_cache_bytes: int = Field(
        64 * 1024 * 1024,
        ge=1024 * 1024,
        le=64 * 1024 * 1024 * 1024,
        description=(
            "RocksDB block cache of one table partition (Faust's default is 2 GiB). Workers keep "
            "the edges they work on in their own memory and read the table mostly on recovery."
        ),
    )

    # -- capture (processor host) -- settings of capture/ go between these markers
    events_topic: str = Field(
        "meeseeks.connections.v1",
        description="Topic of connection-event batches (models/connection_wire.py format).",
    )
    capture_shards: int = Field(
        64,
        ge=1,
        le=65536,
        description=(
            "Shards of the server-address space; a shard is one Kafka key, so every event "
            "about one server address lands on one partition."
        ),
    )
    capture_batch_events: int = Field(
        512, ge=1, le=10000, description="Events per Kafka message: a full shard batch is sent."
    )
    capture_batch_delay_ms: int = Field(
        200,
        ge=1,
        le=60000,
        description="Longest wait of an accepted event in a shard batch before it is sent.",
    )
    capture_max_inflight_bytes: int = Field(
        16 * 1024 * 1024,
        ge=64 * 1024,
        description=(
            "Bytes handed to Kafka but not yet acknowledged; beyond it reading pauses "
            "(files wait, live sockets let the kernel drop and count it)."
        ),
    )
    capture_compression: Literal["auto", "gzip", "lz4", "zstd", "snappy", "none"] = Field(
        "auto",
        description=(
            "Kafka compression; auto picks zstd when aiokafka can (the cramjam package), "
            "else gzip, which needs nothing extra."
        ),
    )
    capture_linger_ms: int = Field(
        5, ge=0, le=10000, description="aiokafka linger: wait this long to fill a request."
    )
    capture_request_timeout_ms: int = Field(
        30000,
        ge=1000,
        description="How long aiokafka tries one message before the publisher retries it.",
    )
    capture_retry_max_backoff_s: float = Field(
        30.0, gt=0, description="Longest pause between two retries of a failed Kafka send."
    )
    capture_receive_buffer_bytes: int = Field(
        32 * 1024 * 1024,
        ge=64 * 1024,
        description="Kernel receive buffer of live capture sockets (--listen, --interface).",
    )
    capture_metrics_host: str = Field(
        "127.0.0.1",
        description="Address of `meeseeks capture`'s /metrics; 0.0.0.0 to let Prometheus in.",
    )
    capture_metrics_port: int = Field(
        9464, ge=0, le=65535, description="Port of `meeseeks capture`'s /metrics; 0 disables."
    )
    # -- end capture --

    # -- streams -- settings of streams/ go between these markers
    inventory_topic: str = Field(
        "meeseeks.inventory.v1",
        description="Compacted topic of inventory entries (models/inventory_record.py format).",
    )
    inventory_file: Path | None = Field(
        None, description="Inventory file (YAML or CSV) a worker loads at start; None: none."
    )
    graph_changes_topic: str = Field(
        "meeseeks.graph-changes.v1",
        description="Topic of node, edge and cluster changes (models/graph_change.py format).",
    )
    anomalies_topic: str = Field(
        "meeseeks.anomalies.v1",
        description="Topic of raised and resolved anomalies (models/anomaly_record.py format).",
    )
    window_seconds: float = Field(
        60.0, gt=0, le=86400, description="Length of an edge's event-time window."
    )
    grace_seconds: float = Field(
        10.0, ge=0, le=3600, description="How late an event may be and still count in its window."
    )
    stale_after_seconds: float = Field(
        600.0, gt=0, description="Event-time silence after which an edge is marked stale."
    )
    history_windows: int = Field(
        60, ge=1, le=10080, description="Closed windows kept per edge for history and baselines."
    )
    learning_period_seconds: float = Field(
        86400.0,
        ge=0,
        description="Event time after the stream's start before a new edge is an anomaly.",
    )
    cluster_retention_seconds: float = Field(
        900.0,
        gt=0,
        description="Event time of data-store traffic that cluster recognition looks back over.",
    )
    cluster_flush_seconds: float = Field(
        2.0, gt=0, le=300, description="How often a worker sends its data-store traffic counts."
    )
    source_idle_seconds: float = Field(
        10.0,
        gt=0,
        le=3600,
        description=(
            "Wall-clock silence after which a connection partition no longer holds the edge "
            "watermark back (so a stopped processor cannot keep windows open)."
        ),
    )
    tick_seconds: float = Field(
        2.0, gt=0, le=300, description="How often workers tick every edge partition's clock."
    )
    # -- end streams --

    # -- graph store -- settings of the sinks' store go between these markers
    store_url: str = Field(
        "",
        description=(
            "Graph store: sqlite://PATH, sqlite://:memory:, arangodb://HOST:PORT/DATABASE or "
            "arangodbs://... (TLS); empty means sqlite://<data_dir>/graph.sqlite."
        ),
    )
    arango_username: str = Field("root", description="ArangoDB user of an arangodb:// store.")
    arango_password: SecretStr = Field(
        SecretStr(""), description="ArangoDB password of an arangodb:// store."
    )
    arango_verify_tls: bool = Field(
        True, description="Check the server certificate of an arangodbs:// store."
    )
    arango_timeout_s: float = Field(
        60.0, gt=0, le=3600, description="Longest wait for one ArangoDB request."
    )
    # -- end graph store --

    # -- graph sink and overlay API -- settings of sinks/graph_sink.py and the overlay API
    sink_group_id: str = Field(
        "meeseeks-sink", description="Kafka consumer group of `meeseeks sink` (offsets committed)."
    )
    sink_batch_changes: int = Field(
        2000, ge=1, le=100000, description="Most graph changes the sink writes in one batch."
    )
    sink_batch_wait_ms: int = Field(
        500, ge=0, le=60000, description="Longest wait to fill a batch once its first change came."
    )
    sink_retry_max_backoff_s: float = Field(
        30.0, gt=0, le=3600, description="Longest pause between retries of a failed store write."
    )
    sink_metrics_host: str = Field(
        "127.0.0.1", description="Address of `meeseeks sink`'s /metrics; 0.0.0.0 for Prometheus."
    )
    sink_metrics_port: int = Field(
        9465, ge=0, le=65535, description="Port of `meeseeks sink`'s /metrics; 0 disables."
    )
    api_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token the overlay API's mutations need; empty refuses every mutation.",
    )
    api_protect_reads: bool = Field(
        False,
        description="Reads of the worker's API need the bearer token too (/metrics stays open).",
    )
    # -- end graph sink and overlay API --

    # -- BCP planner and checks -- settings of sinks/bcp_*.py and streams/bcp_views.py
    bcp_check_seconds: float = Field(
        300.0, ge=10, le=86400, description="How often each worker runs the BCP and Data-DR checks."
    )
    bcp_findings_topic: str = Field(
        "meeseeks.bcp-findings.v1",
        description="Topic of raised, updated and resolved BCP and Data-DR findings.",
    )
    dr_events_topic: str = Field(
        "meeseeks.dr-events.v1",
        description="Topic of Data-DR findings for the backup infrastructure, keyed by store.",
    )
    # -- end BCP planner and checks --

    @field_validator("kafka_bootstrap")
    @classmethod
    def _check_bootstrap(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError("expected host:port[,host:port...], for example 127.0.0.1:9092")
        return value

    @field_validator("table_store")
    @classmethod
    def _check_store(cls, value: str) -> str:
        if value not in ("rocksdb://", "memory://"):
            raise ValueError("allowed values are rocksdb:// and memory://")
        return value

    @property
    def kafka_broker_url(self) -> str:
        """The bootstrap servers in Faust's ``kafka://`` form."""
        return ";".join(f"kafka://{s.strip()}" for s in self.kafka_bootstrap.split(","))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get(CONFIG_FILE_VARIABLE)
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Create the settings, turning validation failures into one readable :class:`SettingsError`."""
    config_file = os.environ.get(CONFIG_FILE_VARIABLE)
    if config_file and not Path(config_file).is_file():
        raise SettingsError(
            f"{CONFIG_FILE_VARIABLE}={config_file}: no such file; "
            "point it at a TOML file such as config/meeseeks.example.toml or unset it"
        )
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from exc
    except ValueError as exc:  # a TOML file that does not parse
        raise SettingsError(f"{CONFIG_FILE_VARIABLE}={config_file}: {exc}") from exc


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        name = f"{ENV_PREFIX}{field.upper()}"
        if error["type"] == "extra_forbidden":
            lines.append(f"{name}: unknown setting; see docs/settings.md for the valid names")
            continue
        value = error.get("input")
        lines.append(f"{name}={value!r}: {error['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """A validated copy with some fields replaced (command-line flags win over the environment)."""
    values = {key: value for key, value in overrides.items() if value is not None}
    if not values:
        return settings
    return load_settings(**{**settings.model_dump(), **values})
