"""Reading exports into canonical frames: read -> map -> normalise -> quality account."""

from salesmetrics.ingest.load import LoadedInput, load_input

__all__ = ["LoadedInput", "load_input"]
