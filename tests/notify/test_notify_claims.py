"""Notices claimed across processes: a `run`, a dashboard and a `ramp` on one machine send each message once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from canary_tui.core.notices import Notice
from canary_tui.notify.claims import SentClaims


def _notice(reason: str = "0% → 10%") -> Notice:
    return Notice("stage-advanced", "staging", "staging", "v0.5.0", "10% (stage 1 of 3)", reason, "alice@test", 0.0)


def test_a_claim_holds_for_the_window_per_destination_and_notice(tmp_path: Path) -> None:
    path = tmp_path / "claims.sqlite3"
    mine, theirs = SentClaims(path, window_s=600.0), SentClaims(path, window_s=600.0)
    assert mine.claim("json://hook", _notice(), 1000.0)
    assert not theirs.claim("json://hook", _notice(), 1001.0)  # another process already sent it
    assert theirs.claim("json://other-hook", _notice(), 1001.0)  # another destination has not had it
    assert theirs.claim("json://hook", _notice(reason="10% → 50%"), 1001.0)  # news is not a repeat
    assert theirs.claim("json://hook", _notice(), 1600.0)  # the window passed
    assert not mine.claim("json://hook", _notice(), 1601.0)
    mine.close()
    theirs.close()


def test_claims_that_cannot_be_written_never_stop_a_notification(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the claims' folder should be", encoding="utf-8")
    claims = SentClaims(blocked / "claims.sqlite3", window_s=600.0)
    assert claims.claim("json://hook", _notice(), 0.0) and claims.claim("json://hook", _notice(), 1.0)
    assert claims.problem is not None and "not-a-dir" in claims.problem


_SENDER = textwrap.dedent('''
    import sys
    from pathlib import Path
    from canary_tui.config_model import NotifyRoute, NotifySettings
    from canary_tui.core.notices import Notice
    from canary_tui.notify.claims import SentClaims
    from canary_tui.notify.sender import Notifier

    url, claims_path = sys.argv[1], Path(sys.argv[2])
    settings = NotifySettings(routes=(NotifyRoute(url),), timeout_s=5.0, retries=0)
    notifier = Notifier(settings, [(settings.routes[0], url)], claims=SentClaims(claims_path, settings.limits.dedupe_s))
    notice = Notice("stage-advanced", "staging", "staging", "v0.5.0", "10% (stage 1 of 3)", "0% → 10%", "alice@test", 0.0)
    deliveries, _late = notifier.deliver_and_wait(notice, 20.0)
    notifier.close()
    print(" ".join(d.outcome for d in deliveries))
''')


def test_two_processes_that_see_one_stage_advance_send_one_message(receiver, tmp_path: Path) -> None:
    claims = tmp_path / "state" / "notify-sent.sqlite3"
    outcomes = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", _SENDER, receiver.url("ok"), str(claims)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        outcomes.append(done.stdout.strip())
    assert sorted(outcomes) == ["duplicate", "sent"], outcomes
    assert len(receiver.messages("ok")) == 1
