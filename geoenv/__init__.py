"""geoenv: river networks, monitoring sections and water-quality maps for bureaus.

Open a project (the embedded Shanxi data, or your layers), then ask it questions::

    import geoenv
    project = geoenv.open_project(sections="断面.xlsx", measurements="监测数据.csv")
    geoenv.trace(project, "汾河孝义断面", period="2024")
"""

__version__ = "0.1.0"

from geoenv.answers import crossings, impact, period_of, relations, report, trace
from geoenv.errors import GeoenvError, InputError
from geoenv.project import Project, open_project
from geoenv.settings import LoadingSettings, NetworkSettings, PlacementSettings, Settings

__all__ = [
    "GeoenvError", "InputError", "LoadingSettings", "NetworkSettings", "PlacementSettings", "Project", "Settings",
    "__version__", "crossings", "impact", "open_project", "period_of", "relations", "report", "trace",
]  # fmt: skip
