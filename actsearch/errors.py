"""Errors that actsearch raises for bad input.

Each carries a one-line message that names what is wrong and where; the CLI
prints it and exits with code 2, never a traceback.
"""


class ActsearchError(ValueError):
    """Base class for every user-facing input error."""


class ExpressionError(ActsearchError):
    """An expression string that cannot be parsed or uses unknown names."""


class DatasetError(ActsearchError):
    """A dataset name, CSV file or column that cannot be used."""


class ConfigError(ActsearchError):
    """A training or search setting out of range."""
