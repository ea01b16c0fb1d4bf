"""Tables in the bureau's language: the Chinese header of every column any command writes, the
words for its values (是/否, 国考/省考/市考, 污水处理厂 …), ratios as percentages, names beside
codes, and the one natural order of codes (SX2 before SX10).

The library's DataFrames keep English column names and raw values (``True``, ``national``,
``0.75``); :func:`bureau_table` turns one into the table a command writes.

Examples
--------
>>> frame = pd.DataFrame({"code": ["SX10", "SX2"], "level": ["national", "city"],
...                       "meets_target": [True, False], "good_ratio": [0.75, 1.0]})
>>> bureau_table(sort_natural(frame, ["code"]), "zh").to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
{'断面编码': ['SX2', 'SX10'], '级别': ['市考', '国考'], '是否达标': ['否', '是'],
 '优良比例': ['100.0%', '75.0%']}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geoenv.schema import FACILITY_LABELS_ZH, LEVEL_LABELS_ZH, PARAMETERS
from geoenv.settings import LANGS, check_choice

if TYPE_CHECKING:
    from geoenv.basin import Basin

#: English column name → Chinese header, for every column of every table a command writes.
HEADERS: dict[str, str] = {
    # sections, facilities and their places
    "code": "断面编码", "section": "断面编码", "name": "名称", "river": "河流", "level": "级别",
    "target_class": "水质目标", "county": "区县", "city": "地市", "adcode": "行政区划代码",
    "admin_match": "区县匹配", "lon": "经度", "lat": "纬度", "code_generated": "编码由名称生成",
    "id": "编号", "id_generated": "编号由名称生成", "kind": "类型", "capacity": "规模",
    "capacity_unit": "规模单位", "standard": "执行标准", "risk_level": "风险等级", "outfall_lon": "排口经度",
    "outfall_lat": "排口纬度",
    "reach_id": "河段编号", "measure": "河段位置(%)", "offset_m": "离河距离(m)", "length_km": "长度(km)",
    # water quality
    "period": "时段", "class": "水质类别", "description": "水质状况", "main_pollutants": "主要污染指标",
    "cwqi": "CWQI", "cwqi_items": "CWQI参评指标数", "missing_items": "缺测指标", "target": "水质目标",
    "meets_target": "是否达标", "exceeding_items": "超标指标(超标倍数)", "n_samples": "样次",
    "no_sample": "未采样(月)", "exceed_freq": "超标率", "class_prev": "上年同期类别", "class_change": "同比",
    "cwqi_prev": "上年同期CWQI", "cwqi_change": "CWQI变化", "worst_items": "最差指标", "water": "水体类型",
    "parameter": "指标代码", "item": "指标", "mean": "均值", "unit": "单位", "n": "监测次数",
    "n_below_dl": "未检出次数", "multiple_iii": "超III类倍数", "mean_prev": "上年同期均值", "change": "变化",
    # groups
    "group": "名称", "n_sections": "断面数", "good_ratio": "优良比例", "worse_than_v_ratio": "劣V比例",
    "rating": "水质状况", "rated_by": "评价方式", "class_of_means": "均值类别", "cwqi_rank": "CWQI排名",
    "good_ratio_prev": "上年同期优良比例", "good_ratio_change": "优良比例变化",
    "worse_than_v_ratio_prev": "上年同期劣V比例", "worse_than_v_ratio_change": "劣V比例变化",
    "scope": "范围", "base_period": "对比时段",
    # relations, traces, spills, crossings
    "downstream_code": "下游断面", "upstream_codes": "上游断面", "distance_km": "距离(km)",
    "control_km": "控制河长(km)", "facilities": "控制段内设施", "downstream_section": "下游断面",
    "score": "得分", "fit": "类型相符度", "proximity": "邻近度", "size": "规模系数",
    "arrival_h": "到达用时(h)", "arrival_time": "到达时间", "upstream_unit": "上游区域",
    "downstream_unit": "下游区域", "missing": "缺少断面",
    "inflow_sections": "入境断面", "outflow_sections": "出境断面",
    "outflow_section": "出境断面", "outflow_km": "出境断面距边界(km)", "outflow_class": "出境断面水质类别",
    "outflow_meets_target": "出境断面是否达标", "inflow_section": "入境断面", "inflow_km": "入境断面距边界(km)",
    "inflow_class": "入境断面水质类别", "inflow_meets_target": "入境断面是否达标", "merged": "合并短距穿越(处)",
    "role": "断面作用", "crossing": "跨界点", "other_unit": "对方区域", "km": "距边界(km)",
    "fed_from_elsewhere": "受外区域来水断面(来水区域)",
    # the dossier (尾矿库一库一档)
    "direction": "方向", "measure_km": "河段位置(km)", "outlet_km": "距河口(km)", "first_receptor": "首个敏感目标",
    "first_arrival_h": "首个到达用时(h)",
    # the report
    "candidates": "溯源排查对象(前三)",
    # the emergency plan (一河一策)
    "source": "风险源编号", "source_name": "风险源名称", "source_kind": "风险源类型", "source_county": "风险源区县",
    "receptor": "敏感目标", "n_sources": "可到达风险源数", "sources": "可到达风险源(先到先列)",
    "earliest_h": "最早到达用时(h)", "earliest_source": "最早到达风险源",
    # compensation accounts
    "share": "分摊比例", "month": "月份", "limit": "考核标准(mg/L)", "multiple": "超标倍数", "tier": "档次",
    "amount_wan": "金额(万元)", "rule": "适用规则", "reward": "奖励类型", "basis": "依据",
    "deductions_wan": "扣缴(万元)", "rewards_wan": "奖励(万元)", "net_wan": "净额(万元)", "key": "项目", "text": "内容",
    # problems (skipped rows)
    "file": "文件", "where": "位置", "column": "列", "severity": "级别", "message": "说明",
}  # fmt: skip

#: The 河流 of a reach with no name, in a table of places on the network (a crossing's river).
REACH_WORDS: dict[str, Mapping[str, str]] = {"river": {"": "未命名河段"}}
#: Columns whose values are words, by column: value → Chinese.
VALUE_WORDS: dict[str, Mapping[str, str]] = {
    "level": LEVEL_LABELS_ZH,
    "kind": {
        **FACILITY_LABELS_ZH,
        "section": "断面",
        "border": "行政边界",
        "national_section": "国考断面",
        "county_border": "县界",
        "province_border": "省界",
    },
    "source_kind": FACILITY_LABELS_ZH,
    "rated_by": {"ratio": "断面比例", "class_of_means": "均值类别"},
    "water": {"river": "河流", "lake": "湖库"},
    "admin_match": {"inside": "区内", "near": "边界附近", "outside": "区外"},
    "severity": {"error": "错误", "warning": "警告"},
    "scope": {"county": "区县", "river": "河流", "city": "地市", "all": "全部"},
    "role": {"inflow": "入境", "outflow": "出境"},
}
#: Columns listing words joined by ``;``, by column: word → Chinese (joined by ``、``).
LIST_WORDS: dict[str, Mapping[str, str]] = {
    "missing": {
        "no_outflow_section": "无出境断面",
        "no_inflow_section": "无入境断面",
        "outflow_beyond_near_km": "出境断面超出距离限制",
        "inflow_beyond_near_km": "入境断面超出距离限制",
        "upstream_outside": "上游在区域外",
        "downstream_outside": "下游在区域外",
    },
    "worst_items": {code: zh for code, (zh, _) in PARAMETERS.items()},
    "missing_items": {code: zh for code, (zh, _) in PARAMETERS.items()},
}
#: Columns holding a fraction, written as a percentage.
RATIOS = frozenset({"good_ratio", "worse_than_v_ratio", "exceed_freq", "cwqi_change", "change",
                    "good_ratio_prev", "good_ratio_change", "worse_than_v_ratio_prev",
                    "worse_than_v_ratio_change", "share"})  # fmt: skip
#: Columns holding other rows' codes (one, or several joined by ``;``), written ``名称 (CODE)``.
REFERENCES = frozenset({"downstream_code", "upstream_codes", "facilities", "downstream_section", "outflow_section",
                        "inflow_section", "inflow_sections", "outflow_sections", "fed_from_elsewhere", "sources",
                        "earliest_source"})  # fmt: skip
#: Columns that repeat another in Chinese (``kind_zh``): dropped from a Chinese table.
DUPLICATES_ZH = frozenset({"kind_zh"})
YES, NO = "是", "否"

_DIGITS = re.compile(r"\d+")
_CODE_AND_NOTE = re.compile(r"^(?P<code>[^()（）]+)(?P<note>[(（].*)?$")


@dataclass(frozen=True)
class Names:
    """How a reader knows each section and facility: ``name`` (code → name) and ``label``
    (code → ``汾河静乐断面 (SX007)``, just the name when the code was generated from it)."""

    name: Mapping[str, str] = field(default_factory=dict)
    label: Mapping[str, str] = field(default_factory=dict)


def names_of(*registers: tuple[pd.DataFrame | None, str]) -> Names:
    """The :class:`Names` of registers given as ``(frame, code column)`` (sections by
    ``code``, facilities by ``id``; a frame may be None)."""
    name: dict[str, str] = {}
    label: dict[str, str] = {}
    for frame, column in registers:
        if frame is None or frame.empty:
            continue
        codes = frame[column].astype(str)
        names = frame["name"].fillna("").astype(str).str.strip() if "name" in frame else pd.Series("", frame.index)
        flag = f"{column}_generated"
        generated = frame[flag].fillna(False).astype(bool) if flag in frame else pd.Series(False, index=frame.index)
        shown = (names + " (" + codes + ")").where(names != "", codes).where(~generated | (names == ""), names)
        name.update(zip(codes, names, strict=True))
        label.update(zip(codes, shown, strict=True))
    return Names(name, label)


def register_names(basin: Basin) -> Names:
    """The :class:`Names` of a basin's sections, by ``code``, and facilities, by ``id``."""
    return names_of((basin.sections, "code"), (basin.facilities, "id"))


def labelled(codes: object, names: Names) -> object:
    """``;``-joined codes as labels joined by ``；`` (``SX019(古交市)`` keeps its note after a
    space: ``汾河古交断面 (SX019) (古交市)``); other values as they are."""
    if not isinstance(codes, str) or not codes:
        return codes
    shown = []
    for part in codes.split(";"):
        found = _CODE_AND_NOTE.match(part)
        code, note = (found["code"], found["note"] or "") if found else (part, "")
        shown.append(" ".join(filter(None, (names.label.get(code, code), note))))
    return "；".join(shown)


def natural_key(values: pd.Series) -> pd.Series:
    """A sort key putting codes in natural order (F2 before F10, SX2 before SX10): each run of
    digits padded to 20 places; other than text columns are their own key.

    Examples
    --------
    >>> pd.Series(["F10", "F2", "F1"]).sort_values(key=natural_key).tolist()
    ['F1', 'F2', 'F10']
    """
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return values
    return values.fillna("").astype(str).str.replace(_DIGITS, lambda m: m.group().zfill(20), regex=True)


def sort_natural(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` sorted by ``columns`` (those it has), codes in natural order (stable)."""
    by = [c for c in columns if c in frame]
    return frame.sort_values(by, key=natural_key, kind="stable").reset_index(drop=True) if by else frame


def upstream_first(basin: Basin, codes: pd.Series) -> np.ndarray:
    """Row order of the sections ``codes`` of ``basin``: by river (natural order), then
    upstream to downstream, by the network distance down to the outlet (hydroloom's
    ``pathlength`` of a section's reach plus its measure) descending; ties and sections not
    placed (last in their river) in natural order of their codes."""
    sections = basin.sections.set_index(basin.sections["code"].astype(str))
    reach = sections["reach"].to_numpy(dtype=np.int64)
    placed = reach >= 0
    distance = np.full(len(sections), np.nan)
    distance[placed] = basin.net.pathlength[reach[placed]] + sections["measure_m"].to_numpy(dtype=float)[placed]
    shown = codes.astype(str).reset_index(drop=True)
    down = -shown.map(pd.Series(distance, index=sections.index)).fillna(-np.inf).to_numpy(dtype=float)
    river = natural_key(shown.map(sections["river"]).astype(object)).to_numpy()
    return np.lexsort((natural_key(shown).to_numpy(), down, river))


def header(column: str, lang: str = "zh") -> str:
    """The header :func:`bureau_table` gives ``column`` in ``lang``."""
    return HEADERS.get(column, column) if lang == "zh" else column


def bureau_table(frame: pd.DataFrame, lang: str = "zh", *, names: Names | None = None,
                 headers: Mapping[str, str] | None = None, ratios_as_text: bool = True,
                 words: Mapping[str, Mapping[str, str]] | None = None) -> pd.DataFrame:  # fmt: skip
    """The table a command writes from a library table: with ``zh`` Chinese headers
    (:data:`HEADERS`; a column with none keeps its name), words for values (:data:`VALUE_WORDS`,
    是/否), ratios as percentages (``75.0%``; numbers with ``ratios_as_text`` false, for a
    workbook's percent format), and with ``names`` a name column after a code column that has
    none and ``名称 (CODE)`` in columns naming other rows; ``headers`` override
    :data:`HEADERS` for a table whose column means something else (``unit`` of the crossings'
    units table is a county, of a measurement its unit). With ``en`` the table as it is.
    Two columns that would get one header keep it with their own names (``水质目标[target]``),
    so that a table's headers stay unique. ``words`` add to :data:`VALUE_WORDS` for this table
    (:data:`REACH_WORDS`: 未命名河段 for a reach with no name, not for a register's blank river).
    """
    check_choice("lang", lang, LANGS)
    value_words = {**VALUE_WORDS, **(words or {})}
    if lang == "en":
        return frame
    out = frame.drop(columns=[c for c in frame.columns if c in DUPLICATES_ZH])
    for column in out.columns:
        values = out[column]
        if column in value_words:
            worded = values.map(value_words[column])
            out[column] = worded.where(worded.notna(), values)
        elif column in LIST_WORDS:
            out[column] = values.map(lambda v, w=LIST_WORDS[column]: _words(v, w))
        elif column in RATIOS and ratios_as_text:
            out[column] = percent(values)
        elif _is_flag(values):
            out[column] = values.map({True: YES, False: NO, np.True_: YES, np.False_: NO})
        if names is not None and column in REFERENCES:
            out[column] = out[column].map(lambda v: labelled(v, names))
    if names is not None and "name" not in out:
        key = next((c for c in ("code", "section") if c in out), None)
        if key is not None:
            out.insert(list(out.columns).index(key) + 1, "name", out[key].astype(str).map(names.name))
    chinese = {**HEADERS, **(headers or {})}
    shown = [chinese.get(c, c) for c in out.columns]
    twice = {h for h in shown if shown.count(h) > 1}
    shown = [f"{h}[{c}]" if h in twice else h for h, c in zip(shown, out.columns, strict=True)]
    return out.set_axis(shown, axis=1)


def percent(values: pd.Series) -> pd.Series:
    """Fractions as percentages with one decimal (``0.4348`` → ``43.5%``; missing stays
    missing). Each distinct value is formatted once: a million ratios take a few distinct ones.

    Examples
    --------
    >>> percent(pd.Series([0.75, -0.0001, None, 1])).tolist()
    ['75.0%', '0.0%', None, '100.0%']
    """
    number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    codes, distinct = pd.factorize(np.round(number * 100, 1) + 0.0)  # + 0.0: no "-0.0%"
    shown = np.array([f"{v:.1f}%" for v in distinct] + [None], dtype=object)
    return pd.Series(shown[codes], index=values.index, dtype=object)


def _words(value: object, words: Mapping[str, str]) -> object:
    """``;``-joined words (``bod5;cod``) in Chinese joined by ``、`` (五日生化需氧量、化学需氧量)."""
    if not isinstance(value, str) or not value:
        return value
    return "、".join(words.get(w, w) for w in value.split(";"))


def _is_flag(values: pd.Series) -> bool:
    """Whether a column holds True/False (with missing values)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    return values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "boolean"
