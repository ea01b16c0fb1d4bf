"""Water quality by GB 3838-2002 and the national evaluation method: classes, periods, main
pollutants, compliance, CWQI and aggregates. See the modules for the rules and their sources."""

from geoenv.quality.aggregate import GROUPS, aggregate, rating
from geoenv.quality.cwqi import item_index
from geoenv.quality.evaluate import Evaluation, evaluate, item_name, requested_periods
from geoenv.quality.periods import BY, Period, parse_period
from geoenv.quality.standard import (
    CLASS_ORDER,
    DESCRIPTIONS,
    EVALUATION_ITEMS,
    LAKE_TP,
    LIMITS,
    NO_DATA_COLOUR,
    PALETTE,
    classify,
    exceedance_multiple,
)
from geoenv.quality.values import parse_values, unit_factors, unit_in_header

__all__ = [
    "BY", "CLASS_ORDER", "DESCRIPTIONS", "EVALUATION_ITEMS", "GROUPS", "LAKE_TP", "LIMITS",
    "NO_DATA_COLOUR", "PALETTE", "Evaluation", "Period", "aggregate", "classify", "evaluate",
    "exceedance_multiple", "item_index", "item_name", "parse_period", "parse_values", "rating",
    "requested_periods", "unit_factors", "unit_in_header",
]  # fmt: skip
