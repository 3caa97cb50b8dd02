"""The Faust application factory.

``create_app(settings)`` builds a configured app; the stages of the stream (attribution,
aggregation, queries) register their agents, tables and views on it. Faust's own CLI needs a
module-level app: that one lives in ``streams.worker_app`` and is built when Faust imports it.
"""

from __future__ import annotations

import logging

import faust

from config.kafka_security import SASL_PROTOCOLS, check_kafka_security, kafka_ssl_context
from config.settings import Settings
from streams.flushing_consumer import MeeseeksApp
from streams.web_auth import web_application_options

logger = logging.getLogger(__name__)

PRODUCER_BATCH_BYTES = 512 * 1024
"""The worker producer's record batch size (uncompressed). A record batch is the unit the
producer sends and waits for: at aiokafka's 16 kB, one message's changelog records took a dozen
batches, each waiting for the previous one to leave. Half of the broker's default 1 MB message
limit holds a message's records. Set when the app is made: Faust warns (and may not apply it)
when the configuration changes after topics exist."""


def create_app(settings: Settings, *, topology: bool = True) -> faust.App:
    """A Faust app wired to the settings' broker, state directory and web server.

    With ``topology`` (the default) the Meeseeks stages are registered on it; tests of the
    bare factory pass False.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app = MeeseeksApp(
        settings.app_id,
        broker=settings.kafka_broker_url,
        store=settings.table_store,
        datadir=str(settings.data_dir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_bind=settings.web_host,
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # Agents send many small messages (delta batches, graph changes): let them share requests.
        producer_linger=settings.producer_linger_ms / 1000.0,
        producer_max_batch_size=PRODUCER_BATCH_BYTES,
        processing_guarantee=settings.processing_guarantee,
        broker_credentials=broker_credentials(settings),
        web_application_options=web_application_options(settings),
        autodiscover=False,
        web_in_thread=False,
    )
    logger.debug(
        "created Faust app %s (broker %s, store %s, datadir %s, web %s:%d)",
        settings.app_id,
        settings.kafka_bootstrap,
        settings.table_store,
        settings.data_dir,
        settings.web_host,
        settings.web_port,
    )
    if topology:
        from streams.topology import register_topology

        register_topology(app, settings)
    return app


def broker_credentials(settings: Settings) -> faust.auth.Credentials | None:
    """Faust's form of the Kafka security settings (the aiokafka clients get the same)."""
    check_kafka_security(settings)
    context = kafka_ssl_context(settings)
    if settings.kafka_security_protocol in SASL_PROTOCOLS:
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value(),
            ssl_context=context,
            mechanism=settings.kafka_sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None
