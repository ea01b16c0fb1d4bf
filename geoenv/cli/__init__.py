"""The ``geoenv`` command: a thin layer over the library (parse, call, write, report).

One module per family of commands; importing them registers them on :data:`main`.
"""

from geoenv.cli import investigate, maps, network, registers  # noqa: F401 (registers the commands)
from geoenv.cli.base import main

__all__ = ["main"]
