"""The project's own errors: each carries a one-line message meant for the user."""


class SalesmetricsError(Exception):
    """Base of every error that the CLI reports as one line with exit code 1."""


class InputError(SalesmetricsError):
    """An input file cannot be read or does not fit its mapping."""


class MappingError(SalesmetricsError):
    """A mapping file is broken: names the file, the key and (when known) the line."""


class ConfigError(SalesmetricsError):
    """A report config is broken or refers to something missing."""
