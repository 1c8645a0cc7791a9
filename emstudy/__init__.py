"""emstudy: a reproducible multi-case study of local-government emergency management.

The package holds the library (instrument, cases, encoding, the synthetic study, statistics, reporting)
and the pipeline that runs the parameterised notebooks. Importing it does no I/O.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("emstudy")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
