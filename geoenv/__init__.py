"""geoenv: river networks, monitoring sections and water-quality maps for bureaus."""

__version__ = "0.1.0"
