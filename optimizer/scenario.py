"""Scenario files: the schema (pydantic), loading from YAML/TOML, and strategy variants.

A scenario says which roster to read, the budget (currency units), what one expected unit of
each KPI is worth (currency per person reached / engagement / conversion) and the rules a
portfolio must follow. Strategies are named partial overrides of the base scenario.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .defaults import DEFAULT_TIER_BOUNDS, SOLVER_NAMES, TIER_NAMES
from .errors import InputError, Problem, did_you_mean
from .numbers import NumberFormatError, parse_amount, parse_fraction
from .reading import normalize_header

KPI_NAMES: tuple[str, ...] = ("reach", "engagement", "conversions")
MAX_TIME_LIMIT = 1_000_000.0  # seconds (11.6 days); null in the file means no limit


def _read_with(parse: Callable[[object], float], hint: str = "") -> Callable[[object], object]:
    """A before-validator: text through ``parse`` (its error, plus ``hint``, as the message),
    ``true``/``false`` refused, anything else left to the field's type."""

    def read(value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"{str(value).lower()} is not a number")
        if isinstance(value, str):
            try:
                return parse(value)
            except NumberFormatError as exc:
                raise ValueError(f"{exc}{hint}") from exc
        return value

    return read


_amount = _read_with(parse_amount)  # money and counts: ``50k``, ``$50,000``, ``1.2M``
_fraction = _read_with(parse_fraction, " (write a fraction such as 0.3, or 30%)")  # or ``30%``


def _id_text(value: object) -> object:
    """Ids are text: a number is refused with a hint, not converted (YAML reads ``012345`` as
    the octal number 5349, which would silently name another influencer)."""
    if isinstance(value, int | float):
        raise ValueError(f"ids are text: write {value!r} in quotes, as written in the roster")
    return value


Amount = Annotated[float, BeforeValidator(_amount, json_schema_input_type=float | str)]
IdText = Annotated[str, BeforeValidator(_id_text, json_schema_input_type=str)]
Fraction = Annotated[
    float,
    BeforeValidator(_fraction, json_schema_input_type=float | str),
    Field(ge=0.0, le=1.0),
]


class Goal(StrEnum):
    """What the solver optimises."""

    MAXIMIZE_VALUE = "maximize_value"
    MINIMIZE_COST = "minimize_cost"


class StrictModel(BaseModel):
    """A schema block where unknown keys are errors, and so are non-finite numbers and
    ``true``/``false`` where a number is meant (pydantic would read ``budget: true`` as 1)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_as_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        numeric = field is not None and (
            _allows(field.annotation, int) or _allows(field.annotation, float)
        )
        if isinstance(value, bool) and numeric and not _allows(field.annotation, bool):
            raise ValueError(f"{str(value).lower()} is not a number")
        return value


def _allows(annotation: Any, kind: type) -> bool:
    """Does ``annotation`` (with its unions, Annotated and containers) mention ``kind``?"""
    if annotation is kind:
        return True
    return any(_allows(arg, kind) for arg in get_args(annotation) if not isinstance(arg, str))


MAX_WEIGHT = 1e9  # currency per expected unit: above it, a typo (and the MIP's sums overflow)


class Objective(StrictModel):
    """Value of one expected unit of each KPI, in budget currency (0 to 1e9 each)."""

    reach: Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)] = 0.0
    engagement: Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)] = 0.0
    conversions: Annotated[float, Field(ge=0.0, le=MAX_WEIGHT)] = 0.0

    def weights(self) -> dict[str, float]:
        """The weights by KPI name."""
        return {name: float(getattr(self, name)) for name in KPI_NAMES}


class Targets(StrictModel):
    """Minimum expected KPI levels a portfolio must reach (people, engagements, conversions)."""

    reach: Annotated[Amount, Field(ge=0.0)] | None = None
    engagement: Annotated[Amount, Field(ge=0.0)] | None = None
    conversions: Annotated[Amount, Field(ge=0.0)] | None = None

    def as_dict(self) -> dict[str, float]:
        """Only the targets that are set."""
        return {k: float(v) for k in KPI_NAMES if (v := getattr(self, k)) is not None}


class GroupRule(StrictModel):
    """Limits for one group of a categorical column (e.g. tier ``micro``).

    Counts are numbers of influencers; shares are fractions of total spend.
    """

    min_count: Annotated[int, Field(ge=0)] | None = None
    max_count: Annotated[int, Field(ge=0)] | None = None
    min_share: Fraction | None = None
    max_share: Fraction | None = None

    @model_validator(mode="after")
    def _ordered(self) -> GroupRule:
        if None not in (self.min_count, self.max_count) and self.min_count > self.max_count:  # type: ignore[operator]
            raise ValueError("min_count is larger than max_count")
        if None not in (self.min_share, self.max_share) and self.min_share > self.max_share:  # type: ignore[operator]
            raise ValueError("min_share is larger than max_share")
        return self


class ResourceLimit(StrictModel):
    """Bounds on the sum of a numeric roster column over the picked influencers."""

    max: Amount | None = None
    min: Amount | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ResourceLimit:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is larger than max ({self.max:g})")
        return self


def _resource(value: object) -> object:
    """``hours: 40`` is shorthand for ``hours: {max: 40}``."""
    if isinstance(value, int | float | str):
        return {"max": value}
    return value


class PackageDiscount(StrictModel):
    """A creator's price cut when several of their offers are booked together.

    When at least ``min_offers`` offers of one creator (rows sharing ``creator``) are picked,
    each of those offers costs ``discount`` (a fraction) less.
    """

    min_offers: Annotated[int, Field(ge=2)] = 2
    discount: Annotated[
        float,
        BeforeValidator(_fraction, json_schema_input_type=float | str),
        Field(gt=0.0, lt=1.0),
    ]


class Constraints(StrictModel):
    """Rules every portfolio must follow."""

    min_influencers: Annotated[int, Field(ge=0)] | None = None
    max_influencers: Annotated[int, Field(ge=0)] | None = None
    min_spend: Annotated[Amount, Field(ge=0.0)] | None = None
    min_authenticity: Fraction | None = None
    max_pair_overlap: Fraction | None = None
    max_offers_per_creator: Annotated[int, Field(ge=1)] | None = None
    package_discount: PackageDiscount | None = None
    tiers: list[str] | None = None
    platforms: list[str] | None = None
    mix: dict[str, dict[str, GroupRule]] = Field(default_factory=dict)
    include: list[IdText] = Field(default_factory=list)
    exclude: list[IdText] = Field(default_factory=list)
    resources: dict[
        str,
        Annotated[
            ResourceLimit,
            BeforeValidator(_resource, json_schema_input_type=ResourceLimit | float | str),
        ],
    ] = Field(default_factory=dict)
    targets: Targets = Field(default_factory=Targets)

    @field_validator("mix", "resources", mode="before")
    @classmethod
    def _column_keys(cls, value: object) -> object:
        """Column names as roster headers are matched: ``Country`` → ``country``."""
        if isinstance(value, dict):
            return {normalize_header(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Constraints:
        if (
            self.min_influencers is not None
            and self.max_influencers is not None
            and self.min_influencers > self.max_influencers
        ):
            raise ValueError("min_influencers is larger than max_influencers")
        for key in ("tiers", "platforms"):
            if getattr(self, key) == []:
                raise ValueError(f"{key} is empty, which allows no one; leave it out to allow all")
        both = sorted(set(self.include or []) & set(self.exclude or []))
        if both:
            raise ValueError(f"ids both included and excluded: {', '.join(both)}")
        # a column's groups are disjoint, so their spend floors cannot pass 100 % — except by
        # spending nothing, which met them all: the solve would return an empty portfolio
        for column, groups in (self.mix or {}).items():
            share = sum(rule.min_share or 0.0 for rule in groups.values())
            if share > 1.0 + 1e-9:
                raise ValueError(
                    f"mix.{column}: the min_share values add up to {share:.0%} of the spend"
                )
        return self


class TableSource(StrictModel):
    """A table in a file, or in a database (SQLAlchemy URL plus a table name or a query)."""

    file: str | None = None
    url: str | None = None
    table: str | None = None
    query: str | None = None

    optional: ClassVar[bool] = False  # True: neither file nor url is fine

    @model_validator(mode="after")
    def _one_source(self) -> TableSource:
        if (self.file and self.url) or not (self.file or self.url or self.optional):
            raise ValueError("give exactly one of file (a path) or url (a database URL)")
        if self.url and bool(self.table) == bool(self.query):
            raise ValueError("with url, give exactly one of table or query")
        if self.file and (self.table or self.query):
            raise ValueError("table and query go with url, not with file")
        return self


class OverlapEstimate(StrictModel):
    """Assumed shared audience (fraction of the smaller audience) when no overlap file is given."""

    same_niche_platform: Fraction = 0.10
    same_niche: Fraction = 0.0
    max_edges: Annotated[int, Field(gt=0)] = 2_000_000


class OverlapSource(TableSource):
    """Where pairwise audience overlap comes from (a file, a database, or an estimate)."""

    optional: ClassVar[bool] = True

    shared: Literal["auto", "count", "fraction"] = "auto"
    same_creator: Fraction = 0.5
    estimate: OverlapEstimate = Field(default_factory=OverlapEstimate)


def _overlap(value: object) -> object:
    """``overlap: data/overlap.csv`` is shorthand for ``overlap: {file: data/overlap.csv}``."""
    if isinstance(value, str):
        return {"file": value}
    return value


class RosterSource(TableSource):
    """Where the roster comes from and how to read it as exported.

    ``columns`` maps our column names to the file's headers (``followers: "Followers"``);
    ``fill`` gives a value for a column the file lacks or leaves blank (``platform: tiktok``);
    ``duplicate_ids`` says what to do with repeated ids (default: report every one).
    """

    sheet: str | int | None = None
    encoding: str = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    fill: dict[str, str | float] = Field(default_factory=dict)
    duplicate_ids: Literal["error", "keep_first", "keep_last"] = "error"

    @field_validator("fill", mode="before")
    @classmethod
    def _no_boolean_fill(cls, fill: object) -> object:
        """YAML reads ``yes``/``no``/``on`` as booleans: a fill value must be text or a number."""
        if isinstance(fill, dict):
            for column, value in fill.items():
                if isinstance(value, bool):
                    raise ValueError(f"{column}: {str(value).lower()} is a boolean here; quote it")
        return fill

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, name: str) -> str:
        if name != "auto":
            try:
                "".encode(name)  # a text encoding (rot13, base64, hex … are not)
            except LookupError:
                raise ValueError(
                    f"unknown text encoding {name!r} (e.g. utf-8, cp1252, latin-1, or auto)"
                ) from None
        return name


def _roster(value: object) -> object:
    """``roster: data/roster.csv`` is shorthand for ``roster: {file: data/roster.csv}``."""
    if isinstance(value, str):
        return {"file": value}
    return value


class RateCard(StrictModel):
    """How to price offers that have no cost (currency per post); see optimizer/ratecard.py."""

    method: Literal["tier_range", "per_1000_followers"] = "tier_range"
    per_1000_followers: dict[str, Annotated[Amount, Field(gt=0.0)]] = Field(default_factory=dict)
    tiers: dict[str, dict[str, tuple[Amount, Amount]]] = Field(default_factory=dict)
    fill_missing: bool = True

    @model_validator(mode="after")
    def _complete(self) -> RateCard:
        if self.method == "per_1000_followers" and not self.per_1000_followers:
            raise ValueError("method per_1000_followers needs per_1000_followers rates")
        for platform, tiers in self.tiers.items():
            for tier, (low, high) in tiers.items():
                if tier not in TIER_NAMES:  # the card prices by follower tier, whatever the names
                    raise ValueError(
                        f"tiers.{platform}.{tier}: unknown tier; rate cards use the standard "
                        f"tiers {', '.join(TIER_NAMES)}" + did_you_mean(tier, list(TIER_NAMES))
                    )
                if not 0 < low <= high:
                    raise ValueError(f"tiers.{platform}.{tier}: need 0 < low ≤ high")
        return self


class RobustSettings(StrictModel):
    """Budgeted-uncertainty (Bertsimas–Sim) protection of the value objective.

    Up to ``gamma`` picks may fall short of their expected engagement and conversions by
    ``cv`` (a fraction of their value); the plan maximises value in that worst case.
    """

    gamma: Annotated[float, Field(ge=0.0)] = 0.0
    cv: Annotated[float, Field(ge=0.0, le=1.0)] = 0.3


class UncertaintySettings(StrictModel):
    """Monte Carlo of engagement and conversion rates around the roster's values."""

    draws: Annotated[int, Field(ge=100, le=1_000_000)] = 10_000
    seed: Annotated[int, Field(ge=0)] = 0
    cv: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3


class SolverSettings(StrictModel):
    """Which solver runs and when it may stop (seconds; gap as a fraction of the objective)."""

    name: str = "highs"
    time_limit: Annotated[float, Field(gt=0)] | None = 60.0
    gap: Annotated[float, Field(ge=0.0, lt=1.0)] = 1e-6
    threads: Annotated[int, Field(gt=0)] | None = None
    msg: bool = False
    strategy: Literal["auto", "fast", "full"] = "auto"  # fast path for large rosters (fastpath.py)

    @field_validator("time_limit")
    @classmethod
    def _finite_limit(cls, seconds: float | None) -> float | None:
        if seconds is not None and seconds > MAX_TIME_LIMIT:
            raise ValueError(
                f"at most {MAX_TIME_LIMIT:,.0f} seconds ({MAX_TIME_LIMIT / 86_400:.1f} days); "
                "for no limit, set solver.time_limit: null in the scenario"
            )
        return seconds

    @field_validator("name")
    @classmethod
    def _known_solver(cls, name: str) -> str:
        if name.lower() not in SOLVER_NAMES:
            raise ValueError(
                f"unknown solver {name!r}; choose one of {', '.join(SOLVER_NAMES)}"
                + did_you_mean(name.lower(), list(SOLVER_NAMES))
            )
        return name.lower()


class ReachSettings(StrictModel):
    """How reach is de-duplicated across the picked influencers (see docs/reach-models.md).

    ``pairwise`` (default): expected reach minus the shared audience of each picked pair.
    ``coverage``: exact union over an audience membership table (influencer, unit, weight),
    reach in the table's weight unit (people). ``sainsbury``: per-segment union under
    independence from audience shares (influencer, segment, share) and segment sizes (people);
    ``max_error`` is the largest relative over-estimate the MIP's tangent cuts may make.
    """

    method: Literal["pairwise", "coverage", "sainsbury"] = "pairwise"
    membership: str | None = None
    segments: str | None = None
    segment_sizes: str | None = None
    max_error: Annotated[float, Field(gt=0.0, le=0.5)] = 0.01

    @model_validator(mode="after")
    def _files_fit_method(self) -> ReachSettings:
        needed = {
            "pairwise": (),
            "coverage": ("membership",),
            "sainsbury": ("segments", "segment_sizes"),
        }[self.method]
        missing = [key for key in needed if getattr(self, key) is None]
        if missing:
            raise ValueError(f"method {self.method} needs {' and '.join(missing)} (a file path)")
        unused = [
            key
            for key in ("membership", "segments", "segment_sizes")
            if key not in needed and getattr(self, key) is not None
        ]
        if unused:
            raise ValueError(f"method {self.method} does not read {', '.join(unused)}")
        return self


class Strategy(Constraints):
    """A named variant: any constraint key, plus budget, goal and objective, overriding the base."""

    description: str | None = None
    budget: Annotated[Amount, Field(gt=0.0)] | None = None
    goal: Goal | None = None
    robust: RobustSettings | None = None
    objective: Objective | None = None
    targets: Targets | None = None  # type: ignore[assignment]
    mix: dict[str, dict[str, GroupRule]] | None = None  # type: ignore[assignment]
    include: list[IdText] | None = None  # type: ignore[assignment]
    exclude: list[IdText] | None = None  # type: ignore[assignment]
    resources: (
        dict[
            str,
            Annotated[
                ResourceLimit,
                BeforeValidator(_resource, json_schema_input_type=ResourceLimit | float | str),
            ],
        ]
        | None
    ) = None  # type: ignore[assignment]


class Scenario(StrictModel):
    """One campaign brief. Paths are relative to the scenario file."""

    name: str
    roster: Annotated[
        RosterSource, BeforeValidator(_roster, json_schema_input_type=RosterSource | str)
    ]
    overlap: Annotated[
        OverlapSource, BeforeValidator(_overlap, json_schema_input_type=OverlapSource | str)
    ] = Field(default_factory=OverlapSource)
    budget: Annotated[Amount, Field(gt=0.0)] | None = None
    currency: str = "USD"
    rate_card: RateCard | None = None
    robust: RobustSettings | None = None
    uncertainty: UncertaintySettings = Field(default_factory=UncertaintySettings)
    goal: Goal = Goal.MAXIMIZE_VALUE
    objective: Objective = Field(default_factory=Objective)
    tiers: dict[str, Annotated[Amount, Field(ge=0.0)]] = Field(
        default_factory=lambda: dict(DEFAULT_TIER_BOUNDS)
    )
    constraints: Constraints = Field(default_factory=Constraints)
    strategies: dict[str, Strategy] = Field(default_factory=dict)
    solver: SolverSettings = Field(default_factory=SolverSettings)
    reach: ReachSettings = Field(default_factory=ReachSettings)

    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _source: str = PrivateAttr(default="scenario")

    @field_validator(
        "objective", "constraints", "strategies", "solver", "uncertainty", "reach", mode="before"
    )
    @classmethod
    def _empty_section(cls, value: object) -> object:
        """A section written with nothing under it (``constraints:``) holds the defaults."""
        return {} if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.goal is Goal.MAXIMIZE_VALUE:
            if self.budget is None:
                raise ValueError("budget is required when goal is maximize_value")
            if not any(self.objective.weights().values()):
                raise ValueError(
                    "objective: give at least one KPI a positive value "
                    "(reach, engagement or conversions)"
                )
        if self.goal is Goal.MINIMIZE_COST and not self.constraints.targets.as_dict():
            raise ValueError("goal minimize_cost needs at least one constraints.targets entry")
        if self.goal is Goal.MINIMIZE_COST and self.robust is not None and self.robust.gamma > 0:
            raise ValueError(
                "robust protects a value to maximise; it does not apply to minimize_cost"
            )
        if not self.tiers:
            raise ValueError("tiers: give at least one tier")
        return self

    @field_validator("tiers")
    @classmethod
    def _distinct_bounds(cls, tiers: dict[str, float]) -> dict[str, float]:
        named: dict[float, str] = {}
        for name, low in tiers.items():
            if low in named:  # one of the two would hold nobody
                raise ValueError(f"{named[low]} and {name} start at the same {low:,.0f} followers")
            named[low] = name
        return tiers

    @property
    def source(self) -> str:
        """The scenario file as the user named it (for messages)."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in this scenario are read from."""
        return self._base_dir

    def resolve(self, path: str) -> Path:
        """A path from the file, resolved against the scenario's folder."""
        candidate = Path(path).expanduser()
        return (candidate if candidate.is_absolute() else self._base_dir / candidate).resolve()

    @property
    def roster_path(self) -> Path | None:
        """The roster file (None when the roster lives in a database)."""
        return self.resolve(self.roster.file) if self.roster.file else None

    def database_url(self, url: str) -> str:
        """A SQLAlchemy URL with a relative SQLite path resolved against the scenario folder."""
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix:
            return prefix + str(self.resolve(url[len(prefix) :]))
        return url

    @property
    def overlap_path(self) -> Path | None:
        """The overlap file, if one is given."""
        return self.resolve(self.overlap.file) if self.overlap.file else None

    def tier_bounds(self) -> list[tuple[str, float]]:
        """Tiers as ``(name, lower bound in followers)``, smallest first."""
        return sorted(self.tiers.items(), key=lambda item: item[1])

    def rule_sets(self) -> list[tuple[str, Constraints]]:
        """``("constraints", the base rules)`` and ``("strategies.NAME", its rules)`` for each
        strategy, as they are written (not merged)."""
        sets: list[tuple[str, Constraints]] = [("constraints", self.constraints)]
        return sets + [(f"strategies.{name}", rules) for name, rules in self.strategies.items()]

    def strategy_names(self) -> list[str]:
        """Named strategies in file order."""
        return list(self.strategies)

    def with_strategy(self, name: str | None) -> Scenario:
        """The effective scenario of one strategy (the base itself when ``name`` is None)."""
        if name is None:
            return self
        if name not in self.strategies:
            raise InputError.single(
                self.source,
                f"strategies.{name}",
                "no such strategy" + did_you_mean(name, list(self.strategies)),
            )
        overrides = self.strategies[name].model_dump(exclude_unset=True)
        try:
            return self.with_overrides(overrides, keep_strategies=False)
        except InputError as exc:  # named as the strategy's problem, not the base's
            raise InputError(
                Problem(p.source, f"strategies.{name} → {p.where}", p.message) for p in exc.problems
            ) from None

    def validated(self) -> Scenario:
        """A copy validated again from its data, so that fields set after loading
        (``scenario.budget = …``) are checked as the file's are (:class:`InputError`). The
        strategies are checked when one is merged (:meth:`with_strategy`)."""
        return scenario_from_data(self.as_data(), self.source, self._base_dir)

    def as_data(self) -> dict[str, Any]:
        """The scenario as plain data (a dict like the file's) that validates back into an
        equal scenario: each strategy holds only the keys it sets, so it still overrides only
        those."""
        # warnings off: a field set after loading may hold raw input ("25k"), read again later
        data = self.model_dump(mode="python", exclude={"strategies"}, warnings=False)
        data["strategies"] = {
            name: strategy.model_dump(mode="python", exclude_unset=True, warnings=False)
            for name, strategy in self.strategies.items()
        }
        return data

    def with_overrides(
        self, overrides: dict[str, Any], *, keep_strategies: bool = True
    ) -> Scenario:
        """A copy with strategy-style ``overrides`` applied, validated again.

        Constraint keys (``tiers`` included, and any key a scenario does not have) change the
        rules, as does a ``constraints`` mapping of them; a ``mix`` rule replaces the rule of
        its group only. The settings sections ``objective``, ``solver``, ``uncertainty`` and
        ``reach`` take the keys given over their current ones; any other top-level key
        (``budget``, ``goal``, ``name``, ``currency``, ``robust``…) is replaced. The file's
        strategies are kept (they apply on top of the new base) unless ``keep_strategies`` is
        False, as for a strategy's own effective scenario. ``description`` is ignored.
        """
        data = self.as_data()
        if not keep_strategies:
            del data["strategies"]
        overrides = dict(overrides)
        overrides.pop("description", None)
        rules = list(dict(overrides.pop("constraints", None) or {}).items())
        for key, value in overrides.items():
            if key in Constraints.model_fields or key not in Scenario.model_fields:
                rules.append((key, value))
            elif key in MERGED_SECTIONS and isinstance(value, dict) and data.get(key):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        constraints = data["constraints"]
        for key, value in rules:
            if key == "mix" and value is not None:
                merged = copy.deepcopy(constraints.get("mix") or {})
                for column, groups in value.items():
                    rules_of_column = merged.setdefault(column, {})
                    for group, rule in groups.items():  # groups match ignoring case
                        for same in [g for g in rules_of_column if g.lower() == group.lower()]:
                            del rules_of_column[same]
                        rules_of_column[group] = rule
                constraints["mix"] = merged
            else:
                constraints[key] = value
        return scenario_from_data(data, self.source, self._base_dir)


MERGED_SECTIONS = ("objective", "solver", "uncertainty", "reach")  # overrides merge into these


def scenario_from_data(data: dict[str, Any], source: str, base_dir: Path) -> Scenario:
    """Validate raw scenario data into a :class:`Scenario` bound to ``source``/``base_dir``."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, source)) from None
    scenario._source = source
    scenario._base_dir = base_dir
    return scenario


def validation_problems(exc: ValidationError, source: str) -> list[Problem]:
    """Turn pydantic errors into problems naming the key, with 'did you mean' for typos."""
    problems = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"] if not str(part).startswith("function-")]
        where = ".".join(loc) or "(top level)"
        if error["type"] == "extra_forbidden":
            known = _known_keys(error["loc"][:-1])
            message = "unknown key" + did_you_mean(loc[-1], known)
            if len(loc) == 3 and loc[0] == "strategies" and loc[2] == "constraints":
                message += f"; a strategy's rules go directly under it (strategies.{loc[1]}.…)"
        elif error["type"] == "missing":
            message = "required key is missing"
        else:
            message = error["msg"].removeprefix("Value error, ")
        problems.append(Problem(source, where, message))
    return problems


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the schema block at ``loc`` (walking models, dicts and optionals)."""
    model: Any = Scenario
    for part in loc:
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(str(part))
            if field is None:
                return []
            model = _unwrap(field.annotation)
        elif get_origin(model) is dict:
            model = _unwrap(get_args(model)[1])
        else:
            return []
    if get_origin(model) is dict:
        model = _unwrap(get_args(model)[1])
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip Optional/Annotated so a field's model class can be walked into."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
            continue
        args = [a for a in get_args(annotation) if a is not type(None)]
        if origin is not dict and len(args) == 1 and origin is not list:
            annotation = args[0]
            continue
        return annotation


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice in one mapping (plain YAML keeps the last
    one without a word: ``budget: 5k`` … ``budget: 100`` would silently mean 100)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # ``<<: *anchor``: the base class
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                again = key in seen
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if again:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


def read_scenario_data(path: Path) -> dict[str, Any]:
    """The raw mapping in a YAML or TOML scenario file."""
    source = str(path)
    if not path.exists():
        raise InputError.single(source, "", "file not found")
    if not path.is_file():
        raise InputError.single(source, "", "is a folder, not a scenario file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            source, f"byte {exc.start}", "is not UTF-8 text; save the scenario file as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError.single(source, "", f"cannot read the file: {exc.strerror}") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in {".yaml", ".yml"}:
            data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
        else:
            raise InputError.single(source, "", "scenario files must end in .yaml, .yml or .toml")
    except tomllib.TOMLDecodeError as exc:
        raise InputError.single(source, "", f"not valid TOML: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError.single(source, where, f"not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise InputError.single(source, "", "a scenario file must be a mapping of keys")
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises :class:`InputError` listing every problem
    (``TypeError`` if ``path`` is not a path)."""
    if not isinstance(path, str | PathLike):
        raise TypeError(f"load_scenario() takes a file path, not {type(path).__name__}")
    path = Path(path)
    data = read_scenario_data(path)
    scenario = scenario_from_data(data, str(path), path.resolve().parent)
    check_strategies(scenario)
    return scenario


def checked_scenario(scenario: object, caller: str) -> Scenario:
    """``scenario`` validated again (fields may have been set after loading; see
    :meth:`Scenario.validated`); ``TypeError`` naming ``caller`` if it is not a Scenario."""
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"{caller}() takes a Scenario (from load_scenario), not {type(scenario).__name__}"
        )
    return scenario.validated()


def check_strategies(scenario: Scenario) -> None:
    """Raise :class:`InputError` listing every strategy that does not merge into a valid
    scenario (each problem named ``strategies.NAME → key``)."""
    problems = []
    for name in scenario.strategies:
        try:
            scenario.with_strategy(name)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)


_BOUND_KEYWORDS = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
}


def _standard_bounds(node: Any) -> Any:
    """Pydantic writes bounds it applies after a validator as gt/ge/lt/le; JSON Schema
    spells them exclusiveMinimum/minimum/exclusiveMaximum/maximum."""
    if isinstance(node, dict):
        return {_BOUND_KEYWORDS.get(k, k): _standard_bounds(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_standard_bounds(item) for item in node]
    return node


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files, shorthands included."""
    schema = _standard_bounds(Scenario.model_json_schema(mode="validation"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "inflopt scenario"
    return schema
