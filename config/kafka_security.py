"""The connection options every Kafka client of Meeseeks gets: one place, so none is missed.

aiokafka clients (the processor's producer, the graph feed, the sink, inventory tools) take
``**kafka_client_options(settings)``; the Faust worker gets the same through its broker
credentials (``streams/app.py``). A unit test checks that every client in the code passes them.
"""

from __future__ import annotations

import ssl
from typing import Any

from aiokafka.helpers import create_ssl_context

from config.errors import SettingsError
from config.settings import Settings

SASL_PROTOCOLS = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})
SSL_PROTOCOLS = frozenset({"SSL", "SASL_SSL"})


def check_kafka_security(settings: Settings) -> None:
    """Refuse combinations that could only fail later, at the first connection."""
    protocol = settings.kafka_security_protocol
    if protocol in SASL_PROTOCOLS and not (
        settings.kafka_sasl_username and settings.kafka_sasl_password.get_secret_value()
    ):
        raise SettingsError(
            f"MEESEEKS_KAFKA_SECURITY_PROTOCOL={protocol} needs MEESEEKS_KAFKA_SASL_USERNAME "
            "and MEESEEKS_KAFKA_SASL_PASSWORD"
        )
    files = {
        "MEESEEKS_KAFKA_SSL_CAFILE": settings.kafka_ssl_cafile,
        "MEESEEKS_KAFKA_SSL_CERTFILE": settings.kafka_ssl_certfile,
        "MEESEEKS_KAFKA_SSL_KEYFILE": settings.kafka_ssl_keyfile,
    }
    given = {name: path for name, path in files.items() if path is not None}
    if given and protocol not in SSL_PROTOCOLS:
        raise SettingsError(
            f"{', '.join(given)} set but MEESEEKS_KAFKA_SECURITY_PROTOCOL={protocol} does not "
            "use TLS; set it to SSL or SASL_SSL, or unset the files"
        )
    for name, path in given.items():
        if not path.is_file():
            raise SettingsError(f"{name}={path}: no such file")
    if (settings.kafka_ssl_certfile is None) != (settings.kafka_ssl_keyfile is None):
        raise SettingsError(
            "MEESEEKS_KAFKA_SSL_CERTFILE and MEESEEKS_KAFKA_SSL_KEYFILE go together: set both"
        )


def kafka_ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context of the SSL protocols, None for the plain ones."""
    if settings.kafka_security_protocol not in SSL_PROTOCOLS:
        return None
    context: ssl.SSLContext = create_ssl_context(
        cafile=str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None,
        certfile=str(settings.kafka_ssl_certfile) if settings.kafka_ssl_certfile else None,
        keyfile=str(settings.kafka_ssl_keyfile) if settings.kafka_ssl_keyfile else None,
    )
    context.check_hostname = settings.kafka_ssl_check_hostname
    return context


def kafka_client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    check_kafka_security(settings)
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    context = kafka_ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if settings.kafka_security_protocol in SASL_PROTOCOLS:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password.get_secret_value()
    return options
