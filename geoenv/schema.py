"""The canonical layer schemas and every alias users write for them (中文 / English).

One table per idea: :data:`COLUMN_ALIASES` maps a layer's canonical columns to the headers
found in real registers; :data:`FACILITY_KINDS`, :data:`LEVELS` and :data:`PARAMETERS` do the
same for coded values. Matching ignores case, spaces, underscores and full-width brackets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

LAYER_KINDS = ("sections", "facilities", "rivers", "counties", "measurements")


@dataclass(frozen=True)
class LayerSchema:
    """Which canonical columns a layer must and may have, and whether it is a point table."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    points: bool = False


SCHEMAS: dict[str, LayerSchema] = {
    # code / id optional: a row without one gets a code generated from its name (layers.py)
    "sections": LayerSchema(
        required=("name", "lon", "lat"),
        optional=("code", "river", "level", "target_class", "water", "county", "city", "coord_source", "row_number"),
        points=True,
    ),
    "facilities": LayerSchema(
        required=("name", "kind", "lon", "lat"),
        optional=(
            "id",
            "coord_source",
            "row_number",
            "outfall_lon",
            "outfall_lat",
            "capacity",
            "standard",
            "risk_level",
            "river",
            "county",
            "city",
        ),
        points=True,
    ),
    "rivers": LayerSchema(required=(), optional=("id", "name", "level", "velocity")),
    "counties": LayerSchema(required=("name",), optional=("adcode", "city")),
    "measurements": LayerSchema(
        required=("section", "date"), optional=("parameter", "value", "unit", "detection_limit")
    ),
}

#: Headers of a facility's capacity, written bare or with a unit: ``设计规模（万吨/日）``.
CAPACITY_HEADERS = (
    "设计规模", "处理规模", "设计处理规模", "规模", "库容", "总库容", "设计处理能力", "处理能力", "capacity",
)  # fmt: skip
#: The register's own county of a point (compared with the county polygon it lies in).
COUNTY_HEADERS = (
    "区县", "所在区县", "所属区县", "县区", "所在县区", "所属县区", "县（市、区）", "县市区", "所在县（市、区）",
)  # fmt: skip
#: Which system each row's coordinates were taken in (GPS, 高德地图 …; see crs.coordinate_source).
COORD_SOURCE_HEADERS = (
    "坐标来源", "坐标系", "坐标类型", "坐标系统", "坐标获取方式", "coordinate_source", "coord_system",
)  # fmt: skip
#: A row number (序号): recognised so that it is never taken for an id, and then dropped.
ROW_NUMBER_HEADERS = ("序号", "行号", "no")

COLUMN_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "sections": {
        "code": (
            "断面编码",
            "断面代码",
            "断面编号",
            "编码",
            "编号",
            "section_code",
            "station_code",
        ),
        "name": ("断面名称", "断面", "名称", "监测断面", "点位名称", "站点名称", "测站名称", "section_name", "station"),
        "river": ("河流", "河流名称", "所在河流", "所属河流", "river_name"),
        "lon": ("经度", "东经", "longitude", "lng", "long", "x"),
        "lat": ("纬度", "北纬", "latitude", "y"),
        "level": ("断面级别", "考核级别", "断面类型", "级别", "category"),
        "target_class": ("水质目标", "目标类别", "目标水质", "考核目标", "target", "class_target"),
        "water": ("水体类型", "水域类型", "水体类别", "water_type"),
        "county": (*COUNTY_HEADERS, "县"),
        "city": ("地市", "所在地市", "市", "城市"),
        "coord_source": COORD_SOURCE_HEADERS,
        "row_number": ROW_NUMBER_HEADERS,
    },
    "facilities": {
        "id": ("编号", "编码", "设施编号", "代码", "facility_id", "code"),
        "name": ("名称", "设施名称", "单位名称", "企业名称", "facility_name"),
        "kind": ("类型", "设施类型", "类别", "type", "category"),
        "lon": ("经度", "东经", "longitude", "lng", "long", "x"),
        "lat": ("纬度", "北纬", "latitude", "y"),
        "outfall_lon": ("排口经度", "排污口经度", "入河排污口经度", "outlet_lon"),
        "outfall_lat": ("排口纬度", "排污口纬度", "入河排污口纬度", "outlet_lat"),
        "capacity": CAPACITY_HEADERS,
        "standard": ("排放标准", "执行标准", "出水标准"),
        "risk_level": ("风险等级", "环境风险等级", "risk"),
        "river": ("受纳水体", "所在河流", "河流", "receiving_water"),
        "county": COUNTY_HEADERS,
        "city": ("地市", "所在地市", "城市"),
        "coord_source": COORD_SOURCE_HEADERS,
        "row_number": ROW_NUMBER_HEADERS,
    },
    "rivers": {
        # HLBM/HLDM (河流编码/代码) and HLMC/HYMC (河流/河名 名称) as Chinese GIS layers name them
        "id": ("编码", "河流编码", "河流代码", "hlbm", "hldm", "code", "fid_", "river_id"),
        "name": ("河流名称", "名称", "河流", "河名", "hlmc", "hymc", "river", "river_name"),
        "level": ("级别", "河流级别"),
        "velocity": ("流速", "平均流速", "velocity_ms", "flow_velocity"),
    },
    "counties": {
        "name": ("区县", "区县名称", "县名", "名称", "county", "name_zh"),
        "adcode": ("行政区划代码", "区划代码", "代码", "code"),
        "city": ("地市", "所属地市", "市", "city_name"),
    },
    "measurements": {
        "section": (
            "断面编码",
            "断面代码",
            "断面名称",
            "断面",
            "监测断面",
            "点位名称",
            "站点名称",
            "测站名称",
            "code",
            "station",
        ),
        "date": (
            "监测日期",
            "采样日期",
            "日期",
            "监测时间",
            "采样时间",
            "时间",
            "监测月份",
            "月份",
            "监测年月",
            "采样月份",
            "time",
            "month",
        ),
        "parameter": ("监测项目", "项目", "指标", "因子", "item", "param"),
        "value": ("监测值", "浓度", "结果", "数值", "concentration", "result"),
        "unit": ("单位",),
        "detection_limit": ("检出限", "dl", "mdl"),
    },
}

FACILITY_KINDS: dict[str, tuple[str, ...]] = {
    "sewage_plant": ("污水处理厂", "污水厂", "城镇污水处理厂", "污水处理站", "wwtp", "stp"),
    "wetland": ("人工湿地", "湿地", "constructed_wetland"),
    "tailings_pond": ("尾矿库", "tailings", "tailings_dam"),
    "outfall": ("入河排污口", "排污口", "排口", "outlet"),
    "water_source": ("饮用水水源地", "水源地", "饮用水源地", "drinking_water_source", "intake"),
    "industrial_park": ("工业园区", "园区", "开发区", "park"),
    "other": ("其他", "其它"),
}

FACILITY_LABELS_ZH = {kind: aliases[0] for kind, aliases in FACILITY_KINDS.items()}

LEVELS: dict[str, tuple[str, ...]] = {
    "national": ("国考", "国控", "国家考核", "国家级", "国考断面"),
    "provincial": ("省考", "省控", "省级", "省考断面"),
    "city": ("市考", "市控", "市级", "市考断面", "县考", "县控"),
}
#: The facility kinds that may be the source of pollution a trace looks for (not a water source).
SOURCE_KINDS = ("sewage_plant", "outfall", "industrial_park", "tailings_pond", "wetland", "other")

LEVEL_LABELS_ZH = {level: aliases[0] for level, aliases in LEVELS.items()}

WATERS: dict[str, tuple[str, ...]] = {
    "river": ("河流", "河", "江", "溪", "stream"),
    "lake": ("湖库", "湖泊", "水库", "湖", "库", "reservoir"),
}

CLASSES = ("I", "II", "III", "IV", "V")
WORSE_THAN_V = "劣V"

# code: (Chinese name, other names seen in registers)
PARAMETERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "temp": ("水温", ("温度", "water_temperature", "t")),
    "ph": ("pH", ("ph值", "酸碱度")),
    "do": ("溶解氧", ("do",)),
    "codmn": ("高锰酸盐指数", ("codmn", "cod_mn", "高锰酸钾指数")),
    "cod": ("化学需氧量", ("cod", "codcr", "cod_cr")),
    "bod5": ("五日生化需氧量", ("bod5", "bod", "生化需氧量")),
    "nh3n": ("氨氮", ("nh3-n", "nh3n", "nh3_n", "氨氮nh3-n", "nh4-n")),
    "tp": ("总磷", ("tp", "总磷(以p计)")),
    "tn": ("总氮", ("tn", "总氮(以n计)")),
    "cu": ("铜", ("cu",)),
    "zn": ("锌", ("zn",)),
    "f": ("氟化物", ("f", "氟化物(以f-计)", "氟")),
    "se": ("硒", ("se",)),
    "as": ("砷", ("as",)),
    "hg": ("汞", ("hg",)),
    "cd": ("镉", ("cd",)),
    "cr6": ("六价铬", ("cr6+", "cr6", "cr(vi)", "铬(六价)")),
    "pb": ("铅", ("pb",)),
    "cn": ("氰化物", ("cn", "cn-", "总氰化物")),
    "phenol": ("挥发酚", ("phenol", "挥发性酚", "挥发酚类")),
    "oil": ("石油类", ("oil", "石油")),
    "las": ("阴离子表面活性剂", ("las", "阴离子洗涤剂")),
    "s2": ("硫化物", ("s2-", "s2", "sulfide")),
    "fecal_coliform": ("粪大肠菌群", ("fecal_coliform", "粪大肠菌", "fc")),
}

_FOLD = re.compile(r"[\s_\-（）()/:：·.]+")


def fold(text: object) -> str:
    """Normalise a header or code for matching: NFKC, lower case, no spaces or brackets."""
    return _FOLD.sub("", unicodedata.normalize("NFKC", str(text)).strip().lower())


def _index(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for canonical, aliases in table.items():
        for name in (canonical, *aliases):
            index.setdefault(fold(name), canonical)
    return index


_KIND_INDEX = _index(FACILITY_KINDS)
_LEVEL_INDEX = _index(LEVELS)
_WATER_INDEX = _index(WATERS)
_PARAMETER_INDEX = _index({code: (zh, *more) for code, (zh, more) in PARAMETERS.items()})


_COLUMN_INDEX = {layer: _index(aliases) for layer, aliases in COLUMN_ALIASES.items()}
#: A note in brackets at the end of a header: ``纬度（°）``, ``经度(°E)``, ``纬度【WGS84】``.
_TRAILING_NOTE = re.compile(r"^(?P<base>.*?\S)\s*[(\[【]\s*(?P<note>[^()\[\]【】]*?)\s*[)\]】]\s*$")
#: Canonical columns whose bracket is a unit read by their own parser (:func:`capacity_header`),
#: so that two capacity columns with different units stay two columns.
_OWN_BRACKETS = {"capacity"}


def header_column(header: object, kind: str) -> str | None:
    """The canonical column of layer ``kind`` a header names, or None.

    The header as a whole matches an alias (case, spaces, underscores and brackets ignored);
    failing that, the header without a note in brackets at its end, for the notes registers
    write after a header: a unit (``纬度（°）``, ``监测值(mg/L)``), a system (``纬度（WGS84）``)
    or a form (``纬度(度分秒)``). Item columns (:func:`parameter_code`) and capacity headers
    (:func:`capacity_header`) are recognised by their own functions.

    Examples
    --------
    >>> header_column("纬 度（°N）", "sections"), header_column("监测值(mg/L)", "measurements")
    ('lat', 'value')
    """
    index = _COLUMN_INDEX[kind]
    canonical = index.get(fold(header))
    text = unicodedata.normalize("NFKC", str(header)).strip()
    while canonical is None and (match := _TRAILING_NOTE.match(text)):
        text = match.group("base")
        canonical = index.get(fold(text))
        if canonical in _OWN_BRACKETS:
            return None
    return canonical


def header_note(header: object) -> str:
    """The note in brackets at the end of a header (``WGS84`` of ``纬度（WGS84）``), else ``""``."""
    match = _TRAILING_NOTE.match(unicodedata.normalize("NFKC", str(header)).strip())
    return match.group("note") if match else ""


def facility_kind(value: object) -> str | None:
    """Canonical facility kind of a register value, or None when unknown."""
    return _KIND_INDEX.get(fold(value))


def known_kind_names() -> list[str]:
    """Every spelling of a facility kind geoenv accepts (for suggestions)."""
    return [name for aliases in FACILITY_KINDS.items() for name in (aliases[0], *aliases[1])]


def level(value: object) -> str | None:
    """Canonical section level (national / provincial / city), or None when unknown."""
    return _LEVEL_INDEX.get(fold(value))


def water(value: object) -> str | None:
    """Canonical water body (river / lake, lakes including reservoirs), or None when unknown."""
    return _WATER_INDEX.get(fold(value))


def parameter_code(value: object) -> str | None:
    """Canonical parameter code of a column header or parameter name, or None."""
    folded = fold(value)
    if folded in _PARAMETER_INDEX:
        return _PARAMETER_INDEX[folded]
    # "氨氮(NH3-N)", "总磷（以P计）mg/L": try the part before a bracket or unit.
    head = re.split(r"[(（\[]|mg/?l|μg/?l|ug/?l", unicodedata.normalize("NFKC", str(value)))[0]
    return _PARAMETER_INDEX.get(fold(head))


_ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V", "Ⅵ": "VI"}
_ARABIC = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V"}


def water_class(value: object) -> str | None:
    """Parse a target class written as I–V, Ⅰ–Ⅴ, 1–5, ``Ⅲ类`` or ``III类水``; None if not one.

    Examples
    --------
    >>> water_class("Ⅲ类"), water_class(2), water_class("iv")
    ('III', 'II', 'IV')
    """
    text = str(value).strip()
    for roman, ascii_ in _ROMAN.items():
        text = text.replace(roman, ascii_)
    text = unicodedata.normalize("NFKC", text).upper().removesuffix("水").removesuffix("类")
    text = text.removeprefix("类").strip()
    if text.endswith(".0"):
        text = text[:-2]
    text = _ARABIC.get(text, text)
    return text if text in CLASSES else None


def name_key(text: object) -> str:
    """A name as it identifies a section or facility: NFKC (full-width letters and digits as
    ASCII), without spaces; ``""`` for a blank cell. ``温南社 `` and ``温南社`` are one name."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


#: Capacity units → (base unit, factor to it). A capacity is a flow (sewage plants, wetlands,
#: outfalls: m³/d; a tonne of water taken as 1 m³) or a volume (tailings ponds, reservoirs: m³).
#: Keys are folded by :func:`unit_key` (NFKC turns ³ into 3).
CAPACITY_UNITS: dict[str, tuple[str, float]] = {
    **{u: ("m³/d", 1.0) for u in ("m3/d", "m3/日", "m3/天", "立方米/日", "立方米/天", "方/日", "方/天", "吨/日",
                                   "吨/天", "t/d", "t/日")},
    **{u: ("m³/d", 1e4) for u in ("万吨/日", "万吨/天", "万t/d", "万t/日", "万m3/d", "万m3/日", "万m3/天",
                                   "万立方米/日", "万立方米/天", "万方/日", "万方/天")},
    "m3/h": ("m³/d", 24.0), "立方米/小时": ("m³/d", 24.0), "吨/小时": ("m³/d", 24.0), "t/h": ("m³/d", 24.0),
    "l/s": ("m³/d", 86.4), "升/秒": ("m³/d", 86.4),
    **{u: ("m³", 1.0) for u in ("m3", "立方米", "方")},
    **{u: ("m³", 1e4) for u in ("万m3", "万立方米", "万方")},
    **{u: ("m³", 1e8) for u in ("亿m3", "亿立方米", "亿方")},
}  # fmt: skip


def unit_key(text: object) -> str:
    """A unit folded for :data:`CAPACITY_UNITS`: NFKC, lower case, no spaces or ``单位：``."""
    folded = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)).lower())
    return folded.removeprefix("单位:").replace("／", "/")


_CAPACITY_HEAD = re.compile(
    r"^(?P<head>" + "|".join(sorted(map(re.escape, CAPACITY_HEADERS), key=len, reverse=True)) + r")"
    r"\s*(?:[(\[【]\s*(?P<bracketed>[^)\]】]*?)\s*[)\]】]|/?\s*(?P<bare>\S+))?\s*$",
    re.IGNORECASE,
)


def capacity_header(header: object) -> tuple[str, str] | None:
    """Split a capacity header into its name and the unit written with it, else None.

    ``设计规模（万吨/日）`` → ``("设计规模", "万吨/日")``; ``库容`` → ``("库容", "")``. A unit in
    brackets is returned whatever it is (an unknown one is the caller's error); one written
    without brackets only when it is a known unit (``规模等级`` is no capacity).

    Examples
    --------
    >>> capacity_header("处理规模(m³/d)"), capacity_header("规模等级")
    (('处理规模', 'm3/d'), None)
    """
    text = unicodedata.normalize("NFKC", str(header)).strip()
    match = _CAPACITY_HEAD.match(text)
    if not match:
        return None
    bare = match.group("bare")
    if bare is not None and unit_key(bare) not in CAPACITY_UNITS:
        return None
    return match.group("head"), (match.group("bracketed") or bare or "").strip()
