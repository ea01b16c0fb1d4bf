"""Reading registers and layers as users keep them (:mod:`~geoenv.io.read`), and the one
safe writer of every table and file geoenv produces (:mod:`~geoenv.io.write`)."""

from geoenv.io.read import LayerSource, RawLayer, is_table, list_layers, read_layer
from geoenv.io.write import check_writable, write_atomic, write_csv, write_text

__all__ = [
    "LayerSource",
    "RawLayer",
    "check_writable",
    "is_table",
    "list_layers",
    "read_layer",
    "write_atomic",
    "write_csv",
    "write_text",
]
