"""Errors raised while reading settings or managing the local Kafka broker."""

from models.errors import MeeseeksError


class ConfigError(MeeseeksError):
    """Base class: something about the configuration or the local environment is wrong."""


class SettingsError(ConfigError):
    """A setting has a value that cannot be used; the message names it and what is allowed."""


class BrokerError(ConfigError):
    """The local Kafka broker could not be fetched, started, reached or stopped."""
