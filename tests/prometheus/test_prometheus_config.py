"""metrics = "prometheus" keys: defaults, placeholders, and errors that name the key (no server needed)."""

from __future__ import annotations

import pytest

from canary_tui.config import ConfigError, load_config
from canary_tui.config_model import DEFAULT_PROMQL
from canary_tui.core.samples import LatencyBuckets
from canary_tui.mission.prometheus import PromQL


def load(tmp_path, body: str):
    path = tmp_path / "config.toml"
    path.write_text('[environments.prod]\nurl = "https://mission.example.com"\n' + body)
    return load_config(path)


def errors_of(tmp_path, body: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, body)
    return caught.value.errors


def test_defaults_fit_the_common_metric_names(tmp_path) -> None:
    env = load(tmp_path, 'metrics = "prometheus"\nprometheus_url = "https://prom.example.com/"\n'
                         '[environments.prod.prometheus]\nlabels = { job = "mc" }\nwindow = "2m"\n').environments["prod"]
    prom = env.prometheus
    assert prom is not None and prom.url == "https://prom.example.com" and prom.window_s == 120.0 and prom.token is None
    promql = PromQL(dict(prom.queries), prom.window_s, prom.labels)
    assert promql.render("requests", "canary") == 'sum(http_requests_total{variant="canary",job="mc"})'
    assert promql.render("window_latency_buckets", "stable") == (
        'sum by (le) (increase(http_request_duration_seconds_bucket{variant="stable",job="mc"}[120s]))')
    assert load(tmp_path, "").environments["prod"].prometheus is None  # the heartbeat's own figures by default


@pytest.mark.parametrize(("body", "key", "words"), [
    ('metrics = "graphite"\n', "environments.prod.metrics", "expected 'heartbeat' or 'prometheus'"),
    ('metrics = "prometheus"\n', "environments.prod.prometheus_url", "is required"),
    ('metrics = "prometheus"\nprometheus_url = "http://prom.example.com"\n', "environments.prod.prometheus_url", "https"),
    ('prometheus_url = "https://prom.example.com"\n', "environments.prod.prometheus_url", "only with metrics = 'prometheus'"),
    ('metrics = "prometheus"\nprometheus_url = "https://p.example.com"\n[environments.prod.prometheus]\nrequests = "sum(x{job=\\"{jbo}\\"})"\n',
     "environments.prod.prometheus.requests", "unknown placeholder {jbo}"),
    ('metrics = "prometheus"\nprometheus_url = "https://p.example.com"\n[environments.prod.prometheus]\nerrors = "sum(x)"\n',
     "environments.prod.prometheus.errors", "{variant}"),
    ('metrics = "prometheus"\nprometheus_url = "https://p.example.com"\n[environments.prod.prometheus]\ntoken = "hunter2"\n',
     "environments.prod.prometheus.token", "secrets are never written in the config"),
    ('metrics = "prometheus"\nprometheus_url = "https://p.example.com"\n[environments.prod.prometheus]\nwindow = "soon"\n',
     "environments.prod.prometheus.window", "expected a whole number of seconds"),
    ('metrics = "prometheus"\nprometheus_url = "https://p.example.com"\n[environments.prod.prometheus]\nwindwo = "1m"\n',
     "environments.prod.prometheus.windwo", "did you mean 'window'"),
])
def test_bad_keys_are_named(tmp_path, body: str, key: str, words: str) -> None:
    errors = errors_of(tmp_path, body)
    assert any(e.startswith(f"{key}: ") and words in e for e in errors), errors
    assert not any("hunter2" in e for e in errors)


def test_every_default_query_names_the_variant() -> None:
    assert all("{variant}" in q for q in DEFAULT_PROMQL.values())


def test_quantiles_from_buckets_interpolate_like_histogram_quantile() -> None:
    buckets = LatencyBuckets((100.0, 200.0, 400.0), (50, 90, 100))
    assert buckets.quantile_ms(0.5, 100) == 100.0
    assert buckets.quantile_ms(0.7, 100) == pytest.approx(150.0)  # 20 of the 40 requests in (100, 200]
    assert buckets.quantile_ms(0.95, 100) == pytest.approx(300.0)
    assert LatencyBuckets((100.0,), (10,)).quantile_ms(0.99, 20) == 100.0  # beyond the last edge: that edge
    assert buckets.quantile_ms(0.5, 0) is None
