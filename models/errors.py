"""The root of every error Meeseeks raises on purpose; each package subclasses it."""


class MeeseeksError(Exception):
    """An expected failure with a message that tells the operator what to do."""


class WireFormatError(MeeseeksError):
    """A Kafka message is not a connection batch this version of Meeseeks can read or write."""


class InventoryError(MeeseeksError):
    """An inventory file, record or entry that cannot be used to attribute addresses."""


class EdgeRecordError(MeeseeksError):
    """An edge delta or edge state is not in a form this version of Meeseeks can read."""


class GraphChangeError(MeeseeksError):
    """A graph-changes message is not a change record this version of Meeseeks can read."""
