"""Regions and the promotion pipeline in the config: targets ENV/REGION, `after`, `waves`, and errors naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from canary_tui.config import Config, ConfigError, config_from_dict, resolve_target, resolve_targets

ENV = {"USER": "tester"}


def config(environments: dict[str, Any]) -> Config:
    return config_from_dict({"environments": environments}, None, ENV)


def errors(environments: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        config(environments)
    return info.value.errors


FLEET = {
    "staging": {"url": "https://staging.example.com", "plan": "fast-track"},
    "production": {
        "url": "https://mission-{region}.example.com",
        "regions": ["us-east-1", "eu-west-1", "ap-southeast-1"],
        "after": "staging",
        "waves": True,
        "debounce_n": 5,
    },
}


def test_a_list_of_regions_fills_the_placeholder_and_each_region_inherits_the_rest() -> None:
    cfg = config(FLEET)
    assert list(cfg.targets) == ["staging", "production/us-east-1", "production/eu-west-1", "production/ap-southeast-1"]
    use1 = cfg.targets["production/us-east-1"]
    assert use1.url == "https://mission-us-east-1.example.com"
    assert (use1.environment, use1.region, use1.after, use1.waves, use1.debounce_n) == ("production", "us-east-1", "staging", True, 5)
    assert use1.regions == ("us-east-1", "eu-west-1", "ap-southeast-1")
    assert use1.previous_region is None
    assert cfg.targets["production/eu-west-1"].previous_region == "production/us-east-1"
    staging = cfg.targets["staging"]
    assert (staging.environment, staging.region, staging.after, staging.regions) == ("staging", None, None, ())
    assert cfg.environments["staging"] is staging
    assert cfg.environments["production"].regions == use1.regions
    assert [t.name for t in cfg.targets_of("production")] == [f"production/{r}" for r in use1.regions]


def test_a_regions_table_names_each_url() -> None:
    cfg = config({"production": {"regions": {"us-east-1": "http://127.0.0.1:8001/", "eu-west-1": "http://127.0.0.1:8002"}}})
    assert {t.name: t.url for t in cfg.targets.values()} == {
        "production/us-east-1": "http://127.0.0.1:8001", "production/eu-west-1": "http://127.0.0.1:8002",
    }


def test_resolve_targets_expands_an_environment_into_its_regions_in_list_order() -> None:
    cfg = config(FLEET)
    assert [t.name for t in resolve_targets(cfg, ["production"])] == [
        "production/us-east-1", "production/eu-west-1", "production/ap-southeast-1",
    ]
    assert [t.name for t in resolve_targets(cfg, ["production/eu-west-1", "staging", "production"])] == [
        "production/eu-west-1", "staging", "production/us-east-1", "production/ap-southeast-1",
    ]
    assert len(resolve_targets(cfg, [], all_targets=True)) == 4
    with pytest.raises(ConfigError) as info:
        resolve_targets(cfg, ["production/mars-1", "prod"])
    assert len(info.value.errors) == 2
    assert "no region 'mars-1'; its regions: us-east-1, eu-west-1, ap-southeast-1" in info.value.errors[0]


def test_resolve_target_takes_one_region_and_refuses_a_whole_environment_listing_its_regions() -> None:
    cfg = config(FLEET)
    assert resolve_target(cfg, "production/eu-west-1").url == "https://mission-eu-west-1.example.com"
    assert resolve_target(cfg, "https://mission-eu-west-1.example.com").name == "production/eu-west-1"
    with pytest.raises(ConfigError, match="'production' has 3 regions; name one of: production/us-east-1, production/eu-west-1"):
        resolve_target(cfg, "production")


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"url": "https://m-{region}.example.com"}, "environments.p.url: has a {region} placeholder but no regions"),
        ({"url": "https://m.example.com", "regions": ["a"]}, "environments.p.regions: a list of regions needs a {region} placeholder"),
        ({"url": "https://m-{region}.example.com", "regions": ["us east"]}, "environments.p.regions[0]: expected a region name"),
        ({"url": "https://m-{region}.example.com", "regions": ["a", "a"]}, "environments.p.regions[1]: region 'a' is listed twice"),
        ({"url": "https://m-{region}.example.com", "regions": []}, "environments.p.regions: expected an array of region names"),
        ({"url": "https://m.example.com", "regions": {"a": "https://a.example.com"}}, "environments.p.url: is not used when regions is a table"),
        ({"regions": {"a/b": "https://a.example.com"}}, 'environments.p.regions."a/b": expected a region name'),
        ({"regions": {"a": "http://a.example.com"}}, "environments.p.regions.a: expected an https URL"),
        ({"regions": {}}, "environments.p.regions: expected at least one region"),
        ({"url": "https://m.example.com", "waves": True}, "environments.p.waves: waves = true needs regions"),
        ({"url": "https://m.example.com", "after": "stagin"}, "environments.p.after: unknown environment 'stagin'; did you mean 'staging'?"),
        ({"url": "https://m.example.com", "after": "p"}, "environments.p.after: an environment cannot follow itself"),
        ({"url": "https://m.example.com", "after": 3}, "environments.p.after: expected the name of another environment"),
    ],
)
def test_region_and_pipeline_errors_name_their_key(environment: dict[str, Any], expected: str) -> None:
    found = errors({"staging": {"url": "https://s.example.com"}, "p": environment})
    assert any(line.startswith(expected) for line in found), found


def test_a_cycle_in_after_is_one_error_naming_the_cycle() -> None:
    found = errors({
        "a": {"url": "https://a.example.com", "after": "c"},
        "b": {"url": "https://b.example.com", "after": "a"},
        "c": {"url": "https://c.example.com", "after": "b"},
        "d": {"url": "https://d.example.com", "after": "a"},
    })
    assert len(found) == 1 and "a cycle in the promotion pipeline: " in found[0]
    cycle = found[0].split(": ", 2)[2].split(" → ")
    assert cycle[0] == cycle[-1] and sorted(cycle[:-1]) == ["a", "b", "c"]


def test_every_error_of_several_environments_is_reported_at_once() -> None:
    found = errors({
        "p": {"url": "https://m-{region}.example.com"},
        "q": {"url": "https://q.example.com", "after": "nowhere", "waves": True},
    })
    assert len(found) == 3, found
