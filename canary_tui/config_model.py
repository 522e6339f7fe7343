"""The validated config's types: a Config, its environments (targets), credential sources and actuators."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from canary_tui.core.notices import ThrottleLimits
from canary_tui.core.plans import BUILTIN_PLANS, STANDARD, RampPlan

DEFAULT_TOKEN_ENV = "OPS_TOKEN"
DEFAULT_SECRET_ENV = "HEARTBEAT_SECRET"
#: seconds a credential command may run before it is killed
CREDENTIAL_COMMAND_TIMEOUT_S = 10.0
#: placeholders an actuator command template may use
ACTUATOR_PLACEHOLDERS = ("env", "percent")
#: threshold keys -> True when a higher value is worse (latency, errors), False when lower is worse (success)
THRESHOLD_KEYS: dict[str, bool] = {
    "p50_ms": True,
    "p95_ms": True,
    "p99_ms": True,
    "error_rate_pct": True,
    "success_rate_pct": False,
}
POLL_INTERVAL_RANGE_S = (0.1, 3600.0)
#: the history store's retention keys: full-resolution hours and per-minute days (default, low, high)
STORE_FULL_RESOLUTION_H = (72.0, 1.0, 24.0 * 366)
STORE_MINUTE_DAYS = (90.0, 1.0, 3660.0)
MAX_ACTOR_CHARS = 500  # the API keeps at most 500 characters of `actor`


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """Where a secret comes from: an env var name, a file path, or a command's argv (never the value)."""

    kind: Literal["env", "file", "command"]
    value: str | tuple[str, ...]

    def describe(self) -> str:
        """Safe to show: 'env OPS_TOKEN', 'file /path', 'command pass' (program name only)."""
        if self.kind == "command":
            argv = self.value if isinstance(self.value, tuple) else (str(self.value),)
            return f"command {argv[0] if argv else '?'}"
        return f"{self.kind} {self.value}"


DEFAULT_TOKEN = CredentialSource("env", DEFAULT_TOKEN_ENV)
DEFAULT_SECRET = CredentialSource("env", DEFAULT_SECRET_ENV)


@dataclass(frozen=True, slots=True)
class ActuatorConfig:
    """How a percent change is applied: the Mission Control API, or a command template like `deploy {env} {percent}`."""

    kind: Literal["api", "command"] = "api"
    command: tuple[str, ...] = ()
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class EnvironmentConfig:
    """One Mission Control deployment the user can watch and ramp: a target, named `ENV` or `ENV/REGION`.

    An environment with regions is kept in `Config.environments` as declared (its `url` may hold the
    `{region}` placeholder); each region is a target of its own in `Config.targets`, inheriting the rest.
    """

    name: str  # the target's name: "staging" or "production/us-east-1"
    url: str
    plan: RampPlan = STANDARD
    token: CredentialSource = DEFAULT_TOKEN
    secret: CredentialSource = DEFAULT_SECRET
    allow_insecure: bool = False
    verify_tls: bool = True
    ca_bundle: str | None = None
    auto_rollback: bool = True
    auto_advance: bool = False
    debounce_n: int = 3
    actuator: ActuatorConfig = ActuatorConfig()
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 5.0
    total_timeout_s: float = 10.0
    environment: str = ""  # the environment's name ("production"); the target name when empty
    region: str | None = None  # this target's region, None for an environment without regions
    regions: tuple[str, ...] = ()  # the environment's regions in declared order (wave order)
    after: str | None = None  # the environment this one follows in the promotion pipeline
    waves: bool = False  # a region starts a stage only after the previous region has baked it

    def __post_init__(self) -> None:
        if not self.environment:
            object.__setattr__(self, "environment", self.name)

    @property
    def previous_region(self) -> str | None:
        """The target name of the region before this one in wave order, or None (first, or no regions)."""
        if self.region is None or self.region not in self.regions:
            return None
        index = self.regions.index(self.region)
        return f"{self.environment}/{self.regions[index - 1]}" if index > 0 else None


#: settings' defaults: durations in seconds
GATE_FAILING_AFTER_S = 600.0
STALE_AFTER_S = 300.0
UNCONFIRMED_AFTER_ATTEMPTS = 3
SEND_TIMEOUT_S = 10.0
SEND_RETRIES = 2


@dataclass(frozen=True, slots=True)
class NotifyRoute:
    """One `[[notify]]` entry: where to send (a literal apprise URL or a secret source) and what."""

    url: str | CredentialSource
    events: tuple[str, ...] = ()  # empty: every event
    environments: tuple[str, ...] = ()  # empty: every environment

    def wants(self, event: str, environment: str) -> bool:
        """True when this route takes `event` for `environment`."""
        return (not self.events or event in self.events) and (not self.environments or environment in self.environments)


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """Every route plus how events are derived and sent."""

    routes: tuple[NotifyRoute, ...] = ()
    link_base: str | None = None
    gate_failing_after_s: float = GATE_FAILING_AFTER_S
    stale_after_s: float = STALE_AFTER_S
    unconfirmed_after_attempts: int = UNCONFIRMED_AFTER_ATTEMPTS
    timeout_s: float = SEND_TIMEOUT_S
    retries: int = SEND_RETRIES
    limits: ThrottleLimits = field(default_factory=ThrottleLimits)


def default_actor(environ: Mapping[str, str] = os.environ) -> str:
    """user@host, as recorded in the server's history and the audit log."""
    user = environ.get("USER") or environ.get("LOGNAME") or environ.get("USERNAME") or ""
    if not user:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            user = "unknown"
    host = socket.gethostname().split(".")[0] or "localhost"
    return f"{user}@{host}"


@dataclass(frozen=True)
class Config:
    """The whole validated config; defaults when no file exists."""

    path: Path | None = None
    environments: dict[str, EnvironmentConfig] = field(default_factory=dict)
    plans: dict[str, RampPlan] = field(default_factory=lambda: dict(BUILTIN_PLANS))
    threshold_overrides: dict[str, tuple[float, float]] = field(default_factory=dict)
    poll_interval_s: float = 1.0
    theme: str = "canary-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    actor: str = field(default_factory=default_actor)
    default_plan: str = "standard"
    #: the history store's file (`store = PATH`); None: <state dir>/history.sqlite3
    store_path: Path | None = None
    store_full_resolution_h: float = STORE_FULL_RESOLUTION_H[0]
    store_minute_days: float = STORE_MINUTE_DAYS[0]
    #: every target by name (`ENV` or `ENV/REGION`), environments in declared order, regions in list order
    targets: dict[str, EnvironmentConfig] = field(default_factory=dict)
    #: `[[notify]]` routes and `[notifications]` settings (config_notify.py)
    notify: NotifySettings = field(default_factory=NotifySettings)

    def __post_init__(self) -> None:
        if not self.targets and self.environments:  # built by hand (tests): environments without regions are targets
            targets = {name: env for name, env in self.environments.items() if not env.regions}
            object.__setattr__(self, "targets", targets)

    def targets_of(self, environment: str) -> list[EnvironmentConfig]:
        """The targets of one environment (each region in order, or the environment itself); [] when unknown."""
        return [t for t in self.targets.values() if t.environment == environment]

