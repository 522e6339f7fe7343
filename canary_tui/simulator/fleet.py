"""A simulated fleet in one process: staging plus production in three regions, one server (one port) each."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from canary_tui.simulator.options import SimulatorOptions

if TYPE_CHECKING:
    from canary_tui.simulator.server import SimulatorServer

#: the seed's production regions, in wave order
FLEET_REGIONS: tuple[str, ...] = ("us-east-1", "eu-west-1", "ap-southeast-1")


@dataclass(frozen=True, slots=True)
class FleetMember:
    """One simulated target: its name (ENV or ENV/REGION), scenario and starting canary share."""

    name: str
    environment: str
    scenario: str
    initial_percent: int


#: staging has ramped to 50%; production is at 10% everywhere and eu-west-1's canary regresses (errors spike)
FLEET: tuple[FleetMember, ...] = (
    FleetMember("staging", "staging", "healthy", 50),
    FleetMember(f"production/{FLEET_REGIONS[0]}", "production", "healthy", 10),
    FleetMember(f"production/{FLEET_REGIONS[1]}", "production", "error-spike", 10),
    FleetMember(f"production/{FLEET_REGIONS[2]}", "production", "healthy", 10),
)


class SimulatorFleet:
    """Starts one SimulatorServer per member on loopback (ports from `base.port` upwards, or free ones) and stops them all."""

    def __init__(self, base: SimulatorOptions, members: tuple[FleetMember, ...] = FLEET) -> None:
        self.base = base
        self.members = members
        self.servers: list[SimulatorServer] = []
        self.urls: dict[str, str] = {}

    def options_for(self, index: int, member: FleetMember) -> SimulatorOptions:
        """The base options with this member's scenario, environment, share, seed (base + index) and port."""
        return replace(
            self.base,
            scenario=member.scenario,
            environment=member.environment,
            initial_percent=member.initial_percent,
            seed=self.base.seed + index,
            port=self.base.port + index if self.base.port else 0,
            deployment_id=f"dep-{member.name.replace('/', '-')}",
        )

    def start(self) -> dict[str, str]:
        """Start every member; {name: url} in fleet order. One failing to start stops those already started."""
        from canary_tui.simulator.server import SimulatorServer

        try:
            for index, member in enumerate(self.members):
                options = self.options_for(index, member)
                server = SimulatorServer(options)
                self.servers.append(server)
                try:
                    self.urls[member.name] = server.start()
                except OSError as exc:  # say which member's port: the first one is not the only one asked for
                    raise OSError(exc.errno, f"{member.name} on {options.host}:{options.port}: {exc.strerror or exc}") from exc
        except BaseException:
            self.stop()
            raise
        return dict(self.urls)

    def server(self, name: str) -> SimulatorServer:
        """The running server of member `name` (for fault injection in tests)."""
        names = [member.name for member in self.members]
        return self.servers[names.index(name)]

    def stop(self) -> None:
        """Stop every server started (never raises)."""
        for server in self.servers:
            try:
                server.stop()
            except Exception:  # noqa: BLE001 - stopping the rest matters more
                pass
        self.servers.clear()

    @property
    def running(self) -> bool:
        """True while every server runs."""
        return bool(self.servers) and all(server.running for server in self.servers)
