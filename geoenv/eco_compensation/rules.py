"""Rule files of a cross-border compensation scheme (跨界断面生态补偿), in TOML.

A rule file names the assessed items, what a section is judged against, the deduction tiers
by exceedance multiple ((value − standard) / standard), how items combine, the rewards, and
which sections are assessed and for whom. :func:`load_rules` reads one into :class:`Rules`
with every problem named by file, table and key; unknown keys are refused. The example
modelled on Shanxi's 2013 scheme is ``datasets.get_path("shanxi_2013_rules")``.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geoenv.errors import InputError, Problem
from geoenv.quality.standard import LIMITS, NO_MULTIPLE
from geoenv.schema import LEVELS, level, parameter_code

STANDARDS = ("target", "given")
COMBINE = ("sum", "worst")
SECTIONS = ("borders", "listed", "levels")
NO_UPSTREAM = ("own", "skip")
JUDGE = ("outflow", "inflow", "both")
#: A rule file larger than this is refused (a rule file is a page of text).
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Tier:
    """Deduction for a multiple in ``(above, up_to]`` (``up_to`` None: no upper bound): the
    fixed ``amount_wan`` (万元), or with ``scaled`` ``amount_wan × (1 + multiple)``."""

    number: int
    above: float
    up_to: float | None
    amount_wan: float
    scaled: bool = False
    illustrative: bool = False

    def holds(self, multiple: float) -> bool:
        """Whether ``multiple`` falls in this tier (upper bound inclusive)."""
        return multiple > self.above and (self.up_to is None or multiple <= self.up_to)

    def amount(self, multiple: float) -> float:
        """The deduction in 万元 for ``multiple``."""
        return self.amount_wan * (1 + multiple) if self.scaled else self.amount_wan

    def text(self) -> str:
        """``第2档 (0.5,1]倍 100万元`` or ``第1档 (0.1,0.5]倍 10万元×(1+倍数)``, marked when illustrative."""
        span = f"({self.above:g},{self.up_to:g}]" if self.up_to is not None else f">{self.above:g}"
        amount = f"{self.amount_wan:g}万元×(1+倍数)" if self.scaled else f"{self.amount_wan:g}万元"
        return f"第{self.number}档 {span}倍 {amount}" + ("（示意金额）" if self.illustrative else "")


@dataclass(frozen=True)
class Rewards:
    """Rewards in 万元 (0: none): target kept ``three_months`` in a row, kept the whole year,
    improved from missing to meeting against the same month last year, and better by a class
    (while meeting) than the same month last year."""

    three_months_wan: float = 0.0
    whole_year_wan: float = 0.0
    improved_to_meeting_wan: float = 0.0
    class_better_wan: float = 0.0


@dataclass(frozen=True)
class Rules:
    """A compensation scheme as its rule file writes it (see the module docstring)."""

    name: str
    source: str
    items: tuple[str, ...]
    tiers: tuple[Tier, ...]
    standard: str = "target"
    concentrations: Mapping[str, float] = field(default_factory=dict)
    combine: str = "sum"
    sections: str = "borders"
    codes: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    no_upstream: str = "own"
    judge: str = "outflow"
    rewards: Rewards = Rewards()
    notes: tuple[str, ...] = ()
    illustrative: bool = False
    file: str = ""

    def tier(self, multiple: float) -> Tier | None:
        """The tier ``multiple`` falls in; None at or below the first tier (no deduction)."""
        return next((t for t in self.tiers if t.holds(multiple)), None)


_KEYS = {
    "": {"scheme", "assess", "deduction", "rewards"},
    "scheme": {"name", "source", "notes", "illustrative"},
    "assess": {"items", "standard", "concentrations", "combine", "sections", "codes", "levels", "no_upstream", "judge"},
    "deduction": {"free_up_to", "tiers"},
    "deduction.tiers": {"up_to", "amount_wan", "base_wan", "illustrative"},
    "rewards": {"three_months_wan", "whole_year_wan", "improved_to_meeting_wan", "class_better_wan"},
}


class _Reader:
    """Reads values out of the parsed file, collecting located problems."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.file, where=where))

    def table(self, data: object, where: str, keys: str) -> dict:
        if not isinstance(data, dict):
            self.fail(where, f"{data!r} is not a table")
            return {}
        for key in sorted(set(data) - _KEYS[keys]):
            self.fail(where or "top level", f"unknown key {key!r} (known: {', '.join(sorted(_KEYS[keys]))})")
        return data

    def number(self, data: dict, key: str, where: str, default: float | None = None) -> float | None:
        value = data.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            self.fail(where, f"{key}: {value!r} is not a number ≥ 0")
            return None
        return float(value)

    def text(self, data: dict, key: str, where: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.fail(where, f"{key}: {value!r} is not text")
            return default
        return value

    def choice(self, data: dict, key: str, where: str, choices: tuple[str, ...]) -> str:
        value = self.text(data, key, where, choices[0])
        if value not in choices:
            self.fail(where, f"{key}: {value!r} is not one of {', '.join(choices)}")
        return value

    def texts(self, data: dict, key: str, where: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(where, f"{key}: {value!r} is not a list of text")
            return ()
        return tuple(value)

    def flag(self, data: dict, key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            self.fail(where, f"{key}: {value!r} is not true or false")
            return False
        return value

    def item(self, value: str, where: str) -> str:
        code = parameter_code(value)
        if code is None or code not in LIMITS or code in NO_MULTIPLE:
            self.fail(where, f"{value!r} is not an item with a GB 3838-2002 limit (write cod, nh3n, 总磷 …)")
            return str(value)
        return code


def load_rules(path: Path | str) -> Rules:
    """The :class:`Rules` of the TOML file ``path``.

    Raises
    ------
    InputError
        When the file cannot be read or parsed, or any key is unknown or wrong (all of them
        named: ``规则.toml: [[deduction.tiers]] 3: amount_wan: 'abc' is not a number ≥ 0``).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(Problem(f"the rule file is {size:,} bytes: a rule file is a page of text "
                                     f"(at most {MAX_BYTES:,} bytes)", file=str(path)))  # fmt: skip
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as exc:
        raise InputError(Problem(f"cannot read the rule file: {exc.strerror}", file=str(path))) from None
    except UnicodeDecodeError:
        raise InputError(Problem("the rule file is not UTF-8 text: save it as UTF-8", file=str(path))) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(Problem(f"not a TOML file: {exc}", file=str(path))) from None
    return parse_rules(data, file=str(path))


def parse_rules(data: Mapping, *, file: str = "") -> Rules:
    """The :class:`Rules` of a parsed rule file (see :func:`load_rules`)."""
    r = _Reader(file)
    top = r.table(dict(data), "", "")
    scheme = r.table(top.get("scheme", {}), "[scheme]", "scheme")
    assess = r.table(top.get("assess", {}), "[assess]", "assess")
    deduction = r.table(top.get("deduction", {}), "[deduction]", "deduction")
    rewards = r.table(top.get("rewards", {}), "[rewards]", "rewards")

    written = r.texts(assess, "items", "[assess]")
    items = tuple(r.item(v, "[assess]") for v in written)
    if not items:
        r.fail("[assess]", 'items: name the assessed items (items = ["cod", "nh3n"])')
    for item in dict.fromkeys(i for i in items if items.count(i) > 1):
        twice = ", ".join(repr(w) for w, i in zip(written, items, strict=True) if i == item)
        r.fail("[assess]", f"items: {twice} name one item ({item}) more than once: name each item once")
    standard = r.choice(assess, "standard", "[assess]", STANDARDS)
    given = assess.get("concentrations", {})
    concentrations: dict[str, float] = {}
    if standard == "target" and "concentrations" in assess:
        r.fail("[assess.concentrations]", 'given concentrations are used only with standard = "given" '
               '(standard = "target" judges each section by its target class): remove one of them')  # fmt: skip
    if standard == "given":
        if not isinstance(given, dict):
            r.fail("[assess.concentrations]", f"{given!r} is not a table of item = mg/L")
            given = {}
        named = {r.item(key, "[assess.concentrations]") for key in given}
        for key in given:
            code = parameter_code(key) or str(key)
            raw = given[key]
            if isinstance(raw, int | float) and not isinstance(raw, bool) and raw <= 0:
                r.fail("[assess.concentrations]", f"{key}: {raw!r} mg/L: a concentration > 0 is required")
                continue
            value = r.number(given, key, "[assess.concentrations]")
            if code in concentrations:
                r.fail("[assess.concentrations]", f"{key}: a second concentration for the item {code}")
            elif value is not None:
                concentrations[code] = value
        for item in sorted(set(items) - named):
            r.fail("[assess.concentrations]", f'no concentration for the item {item!r} (standard = "given")')
    sections = r.choice(assess, "sections", "[assess]", SECTIONS)
    codes = r.texts(assess, "codes", "[assess]")
    levels = tuple(_level(r, v) for v in r.texts(assess, "levels", "[assess]"))
    if sections == "listed" and not codes:
        r.fail("[assess]", 'codes: sections = "listed" needs the section codes')
    if sections == "levels" and not levels:
        r.fail("[assess]", 'levels: sections = "levels" needs the levels (national, provincial, city)')

    tiers = _tiers(r, deduction)
    rules = Rules(
        name=r.text(scheme, "name", "[scheme]"),
        source=r.text(scheme, "source", "[scheme]"),
        notes=r.texts(scheme, "notes", "[scheme]"),
        illustrative=r.flag(scheme, "illustrative", "[scheme]") or any(t.illustrative for t in tiers),
        items=items,
        standard=standard,
        concentrations=concentrations,
        combine=r.choice(assess, "combine", "[assess]", COMBINE),
        sections=sections,
        codes=codes,
        levels=levels,
        no_upstream=r.choice(assess, "no_upstream", "[assess]", NO_UPSTREAM),
        judge=r.choice(assess, "judge", "[assess]", JUDGE),
        tiers=tiers,
        rewards=Rewards(**{k: r.number(rewards, k, "[rewards]", 0.0) or 0.0 for k in _KEYS["rewards"]}),
        file=file,
    )
    if r.problems:
        raise InputError(r.problems)
    return rules


def _level(r: _Reader, value: str) -> str:
    """The canonical level of ``value`` as registers write it (国考, 省控, national …)."""
    canonical = level(value)
    if canonical is None:
        spellings = "; ".join(f"{k}: {'、'.join(v[:3])}" for k, v in LEVELS.items())
        r.fail("[assess]", f"levels: {value!r} is not a section level ({spellings})")
        return value
    return canonical


def _tiers(r: _Reader, deduction: dict) -> tuple[Tier, ...]:
    """The ``[[deduction.tiers]]``, each from the previous bound (the first from ``free_up_to``)."""
    raw = deduction.get("tiers", [])
    if isinstance(raw, dict):
        r.fail("[deduction.tiers]", "the tiers are a list of tables: write each as [[deduction.tiers]] "
               "(two brackets), not [deduction.tiers]")  # fmt: skip
        return ()
    if not isinstance(raw, list) or not raw:
        r.fail("[deduction]", "tiers: write at least one [[deduction.tiers]]")
        return ()
    above = r.number(deduction, "free_up_to", "[deduction]", 0.0) or 0.0
    tiers = []
    for number, entry in enumerate(raw, start=1):
        where = f"[[deduction.tiers]] {number}"
        entry = r.table(entry, where, "deduction.tiers")
        up_to = r.number(entry, "up_to", where)
        if up_to is None and "up_to" not in entry and number < len(raw):
            r.fail(where, "up_to: only the last tier may be open above")
        if up_to is not None and up_to <= above:
            r.fail(where, f"up_to: {up_to:g} is not above the tier's lower bound {above:g}")
        if ("amount_wan" in entry) == ("base_wan" in entry):
            r.fail(where, "give one of amount_wan (a fixed amount) and base_wan (base × (1 + multiple))")
        scaled = "base_wan" in entry
        amount = r.number(entry, "base_wan" if scaled else "amount_wan", where, 0.0) or 0.0
        tiers.append(Tier(number, above, up_to, amount, scaled, r.flag(entry, "illustrative", where)))
        above = up_to if up_to is not None else above
    return tuple(tiers)
