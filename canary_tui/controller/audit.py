"""Append-only JSON Lines audit log, one file per target, fsynced before an action is reported done.

A crash mid-write can leave a torn last line; the reader skips it, and the next
writer first terminates it with a newline so earlier records are never touched.
No secrets are ever written: records hold only the fields passed in here.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from canary_tui import paths
from canary_tui.controller.model import Trigger
from canary_tui.core.clock import Clock, SystemClock, to_datetime

AUDIT_SUFFIX = ".jsonl"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def audit_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Where audit logs live: <state dir>/audit ($CANARY_TUI_STATE_DIR honoured)."""
    return paths.state_dir(environ) / "audit"


def audit_path(environment: str, directory: Path | None = None) -> Path:
    """The audit file of one environment (name made filesystem-safe)."""
    safe = _UNSAFE.sub("_", environment).strip("._") or "default"
    return (directory or audit_dir()) / f"{safe}{AUDIT_SUFFIX}"


class AuditLog:
    """Writer for one environment's audit file: each record is one durable line."""

    def __init__(self, environment: str, *, path: Path | None = None, clock: Clock | None = None, target: str | None = None) -> None:
        """One file per target; `target` (ENV/REGION, default: the environment) is recorded next to its environment."""
        self.environment = environment
        self.target = target or environment
        self.path = path or audit_path(self.target)
        self._clock = clock or SystemClock()

    def record(self, *, durable: bool = True, **fields: object) -> dict[str, object]:
        """Append one record (time and environment added); fsync it unless durable=False; returns the record.

        durable=False is for the attempt record written just before a request goes
        out (latency matters there): it is written whole and flushed to the kernel,
        and the result record's fsync, which comes before the action is reported
        done, makes it durable too.
        """
        record: dict[str, object] = {"time": to_datetime(self._clock.now()).isoformat().replace("+00:00", "Z")}
        record["environment"] = self.environment
        record["target"] = self.target
        record.update(fields)
        line = _ENCODER.encode(record) + "\n"
        append_line(self.path, line.encode("utf-8"), fsync=durable)
        return record


def append_line(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Append bytes as one write under an exclusive lock, healing a torn tail first; then fsync.

    As few system calls as it can: the rollback's attempt record is written just before its request.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT
    try:
        fd = os.open(path, flags, 0o600)
    except FileNotFoundError:  # the first record of all: make the directory
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        created = size == 0  # new (or empty): make its directory entry durable too
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a newly created file's directory entry durable too."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


#: one encoder for every record (json.dumps with options builds a new one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True, slots=True)
class AuditRead:
    """Records read back, and how many lines were skipped as torn or corrupt."""

    records: tuple[dict[str, object], ...]
    skipped: int


def iter_records(path: Path) -> Iterator[dict[str, object] | None]:
    """Each line parsed as a JSON object, or None for a torn or corrupt line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            yield None
            continue
        yield value if isinstance(value, dict) else None


def read_audit(path: Path, tail: int | None = None) -> AuditRead:
    """All complete records of one file (the last `tail` if given), skipping torn lines."""
    records: list[dict[str, object]] = []
    skipped = 0
    for record in iter_records(path):
        if record is None:
            skipped += 1
        else:
            records.append(record)
    if tail is not None:
        records = records[-tail:] if tail > 0 else []
    return AuditRead(tuple(records), skipped)


def audit_files(directory: Path | None = None) -> list[Path]:
    """Every environment's audit file, sorted by name."""
    base = directory or audit_dir()
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.suffix == AUDIT_SUFFIX and p.is_file())


class CheckpointBook:
    """Checkpoints per canary version: ours, and those in this environment's audit log.

    The log is read again whenever it changed, so a checkpoint another dashboard or a CLI
    command on this machine created counts at once.
    """

    def __init__(self, audit: AuditLog | None) -> None:
        self._audit = audit
        self._ours: dict[str, str] = {}
        self._logged: dict[str, str] = {}
        self._read_stamp: tuple[int, int] | None = None  # (size, mtime_ns) of the log when last read

    def _all(self) -> dict[str, str]:
        if self._audit is not None:
            try:
                stat = self._audit.path.stat()
                stamp: tuple[int, int] | None = (stat.st_size, stat.st_mtime_ns)
            except OSError:
                stamp = None
            if stamp != self._read_stamp:
                self._read_stamp = stamp
                self._logged = {}
                for record in read_audit(self._audit.path).records:
                    version, ckpt = record.get("canary_version"), record.get("checkpoint_id")
                    if record.get("action") == "checkpoint" and record.get("outcome") == "ok" and isinstance(version, str) and isinstance(ckpt, str):
                        self._logged[version] = ckpt
        return {**self._logged, **self._ours}

    def get(self, version: str | None) -> str | None:
        """The checkpoint known for this canary version, or None."""
        return None if version is None else self._all().get(version)

    def remember(self, version: str, checkpoint_id: str) -> None:
        """A checkpoint we just created for this version."""
        self._ours[version] = checkpoint_id


class Auditor:
    """The audit context bound once (log and actor): one record per call, fsynced unless it is an attempt."""

    def __init__(self, audit: AuditLog | None, actor: str, on_failure: Callable[[str], None],
                 context: Callable[[], Mapping[str, object]] | None = None) -> None:
        self.audit = audit
        self.actor = actor
        self._on_failure = on_failure
        self._context = context  # fields every record carries (the versions the server shows), unless given

    def __call__(self, *, action: str, trigger: Trigger, outcome: str, note: str | None, frm: int | None, to: int | None, server: str | None = None, **extra: object) -> None:
        """One record; attempts are flushed (fsynced with their result), everything else fsynced now."""
        if self.audit is None:
            return
        try:
            self.audit.record(
                durable=outcome not in ("attempt", "sent", "http-failed"),
                actor=self.actor, action=action, **{"from": frm, "to": to}, note=note,
                trigger=str(trigger), outcome=outcome, server=server, **{**(self._context() if self._context else {}), **extra},
            )
        except OSError as exc:
            self._on_failure(f"audit log write failed: {exc}")
