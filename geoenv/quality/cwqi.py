"""City water quality index (CWQI) of 《城市地表水环境质量排名技术规定（试行）》(环办监测〔2017〕51号).

Item index: C / S_III for the "≤" items (lakes and reservoirs use the lake TP limit),
S_III / C = 5 / C for dissolved oxygen, and for pH (7 − pH) / (7 − 6) when pH ≤ 7, else
(pH − 7) / (9 − 7). A section's CWQI is the sum over the 21 evaluation items; a city's the mean
of its sections'. Smaller is cleaner.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from geoenv.quality.standard import III, LIMITS, limits

DO_III = LIMITS["do"][III]


def item_index(parameter: ArrayLike, mean: ArrayLike, lake: ArrayLike = False) -> np.ndarray:
    """CWQI(i) of each item's mean concentration (vectorized over mixed items)."""
    codes = np.asarray(parameter, dtype=object)
    mean = np.asarray(mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = mean / limits(codes, lake)[:, III]
        do = codes == "do"
        out[do] = DO_III / mean[do]
    ph = codes == "ph"
    out[ph] = np.where(mean[ph] <= 7, (7 - mean[ph]) / (7 - 6), (mean[ph] - 7) / (9 - 7))
    return out
