"""How a project is loaded, its network built and its registers placed: frozen settings.

One object per stage, each checked when made, so a wrong value fails where it is given and
names the parameter (the CLI turns the name into its flag, the config into its key)::

    Settings(network=NetworkSettings(tolerance_m=50), placement=PlacementSettings(radius_m=500))

The same names are the keys of ``geoenv.toml``'s ``[network]``, ``[placement]`` and
``[loading]`` sections and, with dashes, the command-line flags (``--tolerance-m``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from geoenv.errors import InputError, Problem

#: Largest gap bridged from a dangling line end to another line: suits coarse data such as
#: the embedded GSHHG rivers; dense or surveyed data wants a few metres.
DEFAULT_TOLERANCE_M = 400.0
#: How far a section, a facility (its outfall) or a starting point may lie from a river.
DEFAULT_RADIUS_M = 1000.0
#: A point this close outside every county goes to the nearest county.
NEAR_BORDER_M = 100.0
#: How networks are oriented: toward their outlets, or as the lines are digitized.
FLOWS = ("outlet", "digitized")
#: Mean flow velocity of a spill drill where the rivers layer gives none (m/s).
DEFAULT_VELOCITY_MS = 0.5


class ParameterError(InputError):
    """A setting or a parameter of the library that is not what it must be: ``parameter``
    names it (``tolerance_m``: the CLI says ``--tolerance-m``), ``expected`` says what it must be."""

    def __init__(self, parameter: str, value: object, expected: str) -> None:
        super().__init__(Problem(f"{parameter} = {value!r} is not {expected}"))
        self.parameter = parameter
        self.value = value
        self.expected = expected


def check_lonlat(parameter: str, value: object) -> tuple[float, float]:
    """``value`` as (longitude, latitude): two finite numbers within ±180 and ±90 degrees."""
    numbers = value if isinstance(value, list | tuple) and len(value) == 2 else ()
    if not numbers or any(isinstance(v, bool) or not isinstance(v, int | float) for v in numbers):
        raise ParameterError(parameter, value, "(longitude, latitude) in degrees")
    lon, lat = float(numbers[0]), float(numbers[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise ParameterError(parameter, value, "(longitude, latitude) in degrees: −180…180, −90…90")
    return lon, lat


def check_flag(parameter: str, value: object) -> None:
    """``value`` must be True or False."""
    if not isinstance(value, bool):
        raise ParameterError(parameter, value, "true or false")


def check_choice(parameter: str, value: object, choices: tuple[str, ...]) -> None:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        raise ParameterError(parameter, value, f"one of {', '.join(choices)}")


def check_distance(parameter: str, value: object, *, highest: float = math.inf, unit: str = "metres",
                   positive: bool = False, optional: bool = False) -> None:  # fmt: skip
    """``value`` must be a finite number from 0 (above 0 with ``positive``) to ``highest``
    (None allowed with ``optional``)."""
    if value is None and optional:
        return
    what = "a distance" if unit in ("metres", "km") else "a number"
    span = f"{what} in {unit}, {'above 0' if positive else '0 or more'}"
    if math.isfinite(highest):
        span = f"{what} in {unit} from 0 to {highest:g}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParameterError(parameter, value, f"a number ({span})")
    if not (math.isfinite(value) and 0 <= value <= highest) or (positive and value == 0):
        raise ParameterError(parameter, value, span)


@dataclass(frozen=True)
class NetworkSettings:
    """How a network is built from lines (a saved network is used as it was built).

    Attributes
    ----------
    flow
        ``outlet``: orient every network toward its outlet, whatever the digitizing
        direction; ``digitized``: trust each line's direction.
    outlets
        (lon, lat) where networks drain; none: the embedded rivers' own, else the outlet rule.
    tolerance_m
        Largest gap bridged from a dangling line end to another line.
    """

    flow: str = "outlet"
    outlets: tuple[tuple[float, float], ...] = ()
    tolerance_m: float = DEFAULT_TOLERANCE_M

    def __post_init__(self) -> None:
        check_choice("flow", self.flow, FLOWS)
        given: object = self.outlets  # as the caller passed it
        if isinstance(given, str) or not isinstance(given, list | tuple):
            raise ParameterError("outlets", self.outlets, "a list of (longitude, latitude) in degrees")
        object.__setattr__(self, "outlets", tuple(check_lonlat("outlets", point) for point in self.outlets))
        check_distance("tolerance_m", self.tolerance_m)


@dataclass(frozen=True)
class PlacementSettings:
    """How the registers are placed on the network.

    Attributes
    ----------
    radius_m
        How far a section, a facility (its outfall) or a starting point may lie from a river
        to be placed on it.
    """

    radius_m: float = DEFAULT_RADIUS_M

    def __post_init__(self) -> None:
        check_distance("radius_m", self.radius_m)


LANGS = ("zh", "en")
"""The languages of the tables written (see :func:`geoenv.tables.bureau_table`)."""


@dataclass(frozen=True)
class LoadingSettings:
    """How the layers are read and joined to counties.

    Attributes
    ----------
    near_border_m
        A point this close outside every county goes to the nearest (0–100 km).
    lenient
        Skip measurement cells and rows with errors (listed) instead of stopping.
    strict
        A section or facility outside every county is an error (else a warning within 50 km).
    lang
        The language of the tables written: ``zh`` (Chinese headers and values) or ``en`` (the
        library's English column names and raw values); ``[settings] lang`` of geoenv.toml.
    """

    near_border_m: float = NEAR_BORDER_M
    lenient: bool = False
    strict: bool = False
    lang: str = "zh"

    def __post_init__(self) -> None:
        check_distance("near_border_m", self.near_border_m, highest=100_000.0)
        for name in ("lenient", "strict"):
            check_flag(name, getattr(self, name))
        check_choice("lang", self.lang, LANGS)


@dataclass(frozen=True)
class Settings:
    """Every setting of a project, by stage."""

    network: NetworkSettings = field(default_factory=NetworkSettings)
    placement: PlacementSettings = field(default_factory=PlacementSettings)
    loading: LoadingSettings = field(default_factory=LoadingSettings)

    def __post_init__(self) -> None:
        for name, kind in STAGES.items():
            if not isinstance(getattr(self, name), kind):
                raise ParameterError(name, getattr(self, name), f"a {kind.__name__}")


#: The config section (and Settings attribute) of each stage, with its class.
STAGES: dict[str, type[NetworkSettings] | type[PlacementSettings] | type[LoadingSettings]] = {
    "network": NetworkSettings,
    "placement": PlacementSettings,
    "loading": LoadingSettings,
}
