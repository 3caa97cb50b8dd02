"""Kafka security settings become the same client options everywhere, or one clear error."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust
import pytest

from config.errors import SettingsError
from config.kafka_security import kafka_client_options
from config.settings import load_settings
from streams.app import broker_credentials


def test_plaintext_is_the_default() -> None:
    settings = load_settings(kafka_bootstrap="k1:9092,k2:9092")
    assert kafka_client_options(settings) == {
        "bootstrap_servers": "k1:9092,k2:9092",
        "security_protocol": "PLAINTEXT",
    }
    assert broker_credentials(settings) is None


def test_sasl_ssl_passes_user_mechanism_and_tls() -> None:
    settings = load_settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="meeseeks",
        kafka_sasl_password="s3cret",
        kafka_ssl_check_hostname=False,
    )
    options = kafka_client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "meeseeks",
        "s3cret",
    )
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert options["ssl_context"].check_hostname is False
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_SSL"
    assert credentials.mechanism.value == "SCRAM-SHA-512"
    assert (credentials.username, credentials.password) == ("meeseeks", "s3cret")


def test_sasl_plaintext_has_no_tls_context() -> None:
    settings = load_settings(
        kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u", kafka_sasl_password="p"
    )
    options = kafka_client_options(settings)
    assert "ssl_context" not in options
    credentials = broker_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.protocol.value == "SASL_PLAINTEXT"


def test_ssl_alone_gives_faust_ssl_credentials() -> None:
    settings = load_settings(kafka_security_protocol="SSL")
    assert kafka_client_options(settings)["security_protocol"] == "SSL"
    assert isinstance(broker_credentials(settings), faust.SSLCredentials)


def test_sasl_without_a_password_is_refused() -> None:
    settings = load_settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="u")
    with pytest.raises(SettingsError, match="MEESEEKS_KAFKA_SASL_PASSWORD"):
        kafka_client_options(settings)


def test_tls_files_without_a_tls_protocol_are_refused(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not used")
    settings = load_settings(kafka_ssl_cafile=ca)
    with pytest.raises(SettingsError, match="does not use TLS"):
        kafka_client_options(settings)


def test_a_missing_tls_file_is_named(tmp_path: Path) -> None:
    settings = load_settings(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "no.pem")
    with pytest.raises(SettingsError, match=r"MEESEEKS_KAFKA_SSL_CAFILE=.*no such file"):
        kafka_client_options(settings)


def test_a_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "client.pem"
    cert.write_text("x")
    settings = load_settings(kafka_security_protocol="SSL", kafka_ssl_certfile=cert)
    with pytest.raises(SettingsError, match="go together"):
        kafka_client_options(settings)
