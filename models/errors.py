"""The root of every error Meeseeks raises on purpose; each package subclasses it."""


class MeeseeksError(Exception):
    """An expected failure with a message that tells the operator what to do."""


class WireFormatError(MeeseeksError):
    """A Kafka message is not a connection batch this version of Meeseeks can read or write."""
