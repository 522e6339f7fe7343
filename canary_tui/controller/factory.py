"""The one wiring of a RampController from config, used by the CLI and the dashboard alike."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from canary_tui import paths
from canary_tui.config import Config, EnvironmentConfig, resolve_secret
from canary_tui.controller.audit import AuditLog
from canary_tui.controller.controller import RampController
from canary_tui.controller.recording import attach_store
from canary_tui.core.clock import Clock, SystemClock
from canary_tui.core.judgment import EvidenceRule, JudgmentConfig
from canary_tui.core.rules import Rule, SeedRollbackRule
from canary_tui.core.thresholds import ThresholdTable
from canary_tui.mission.actuators import Actuator, ApiActuator, CommandActuator
from canary_tui.store import Retention

if TYPE_CHECKING:
    from canary_tui.mission.client import MissionClient
    from canary_tui.mission.credentials import Secret


def build_client(env: EnvironmentConfig, clock: Clock) -> Any:
    """A MissionClient for `env` (credentials resolved now; ConfigError when a source is broken)."""
    return mission_client(env, clock, resolve_secret(env.token), resolve_secret(env.secret))


def mission_client(env: EnvironmentConfig, clock: Clock, token: Secret | None, secret: Secret | None) -> MissionClient:
    """The client of `env`: Mission Control alone, or with its request figures from Prometheus (metrics = "prometheus")."""
    from canary_tui.mission.client import MissionClient, Timeouts

    verify: bool | str = env.ca_bundle if env.ca_bundle else env.verify_tls
    options: dict[str, Any] = {"token": token, "secret": secret, "clock": clock, "verify": verify,
                               "timeouts": Timeouts(env.connect_timeout_s, env.read_timeout_s, env.total_timeout_s)}
    prom = env.prometheus
    if prom is None:
        return MissionClient(env.url, **options)
    from canary_tui.mission.prometheus import PrometheusBackedClient, PrometheusSource, PromQL

    promql = PromQL(dict(prom.queries), prom.window_s, prom.labels, env.environment, env.region or "")
    source = PrometheusSource(prom.url.replace("{region}", env.region or ""), promql,
                              token=resolve_secret(prom.token) if prom.token is not None else None,
                              verify=prom.ca_bundle if prom.ca_bundle else prom.verify_tls, timeout_s=prom.timeout_s, clock=clock)
    return PrometheusBackedClient(env.url, prometheus=source, **options)


def build_actuator(env: EnvironmentConfig, client: Any) -> Actuator:
    """The API actuator, or the configured command template (run without a shell)."""
    if env.actuator.kind == "command":
        return CommandActuator(env.actuator.command, env.name, env.actuator.timeout_s)
    return ApiActuator(client, has_token=client.has_token)


def build_rules(env: EnvironmentConfig) -> tuple[Rule, ...]:
    """The auto-rollback rules of an environment: the seed's triggers with its debounce, then the
    evidence of judgment.md (its Decision becomes the snapshot's decision and gates auto-advance)."""
    evidence = EvidenceRule(plan=env.plan, config=JudgmentConfig(debounce_windows=env.debounce_n))
    return (SeedRollbackRule(debounce_n=env.debounce_n), evidence)


def build_controller(
    env: EnvironmentConfig,
    config: Config,
    *,
    clock: Clock | None = None,
    read_only: bool = False,
    audit: bool | AuditLog = True,
    client: Any = None,
    rules: tuple[Rule, ...] | None = None,
    auto_rollback: bool | None = None,
    store: bool | Path | None = None,
    **options: Any,
) -> RampController:
    """A controller for `env`: client (given or built), actuator, thresholds, rules, audit log and history store.

    `auto_rollback` None follows the environment's setting; False turns it off for this controller.
    `store` None records into the config's history store when the audit log is the factory's own (audit=True),
    so a demo, a status sample or a test harness stays out of it; True or a Path asks for it, False refuses it.
    """
    clock = clock or SystemClock()
    client = client if client is not None else build_client(env, clock)
    if isinstance(audit, AuditLog):
        audit_log: AuditLog | None = audit
    else:
        audit_log = AuditLog(env.environment, clock=clock, target=env.name) if audit else None
    thresholds = ThresholdTable.seed().with_overrides(config.threshold_overrides)
    controller = RampController(
        environment=env.name,
        plan=env.plan,
        client=client,
        actuator=build_actuator(env, client),
        actor=config.actor,
        clock=clock,
        audit=audit_log,
        thresholds=thresholds,
        rules=rules if rules is not None else build_rules(env),
        auto_rollback=env.auto_rollback if auto_rollback is None else auto_rollback,
        auto_advance=env.auto_advance,
        read_only=read_only,
        stale_after_s=max(5.0, 3 * config.poll_interval_s),
        **options,
    )
    if store is None:
        store = audit is True
    if store is not False:
        path = store if isinstance(store, Path) else paths.store_file(config.store_path)
        retention = Retention(config.store_full_resolution_h * 3600.0, config.store_minute_days * 86400.0)
        attach_store(controller, env.name, path, retention)
    return controller
