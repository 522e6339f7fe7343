"""The dashboard's actions in one registry: ids, default keys, descriptions; bindings, help, palette and README read it."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

#: modifiers a key may carry ("ctrl+r", "alt+shift+f5")
MODIFIERS = frozenset({"ctrl", "alt", "shift", "meta", "super", "hyper"})
#: named keys that are not characters
NAMED_KEYS = frozenset(
    {"escape", "enter", "tab", "backspace", "delete", "insert", "home", "end", "pageup", "pagedown", "up", "down", "left", "right", "space"}
    | {f"f{n}" for n in range(1, 25)}
)
#: keys a text field or a dialog uses for itself: an always-working key must not be one of them
EDITING_KEYS = frozenset({"escape", "enter", "tab", "backspace", "delete", "insert", "home", "end", "pageup", "pagedown", "up", "down", "left", "right", "space"})


@dataclass(frozen=True, slots=True)
class Face:
    """One of several faces of a key: the argument its action gets and its footer label (P: Pause or Resume)."""

    argument: str
    label: str


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One dashboard action as the operator meets it: keys, footer label, help text, palette title."""

    id: str  # binding id: what the config's [keymap] names
    action: str  # the dashboard action it runs
    keys: tuple[str, ...]  # default keys
    label: str  # footer label
    description: str  # help screen and README
    mutating: bool = False  # changes the deployment (hidden in read-only mode)
    footer: bool = True  # shown in the footer
    priority: bool = False  # checked before the focused widget, so dialogs do not swallow it
    anywhere: bool = False  # must work in every state, text fields included: never a key that types or edits
    passes_id: bool = False  # the action is told which binding ran it (the audit names the key)
    faces: tuple[Face, ...] = ()  # one binding per face, the app shows the face that applies
    palette: str | None = None  # command palette title; None keeps it out of the palette
    remappable: bool = True  # False for keys Textual itself owns
    group: str | None = None  # footer group: bindings of one group share one label
    fleet_only: bool = False  # only the fleet overview (several targets) has it


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "advance", "advance", ("A",), "Advance",
        "advance to the next stage: confirm with the gate evidence; past a failing gate, type the target percent",
        mutating=True, palette="Advance to the next stage…",
    ),
    ActionSpec(
        "pause", "toggle_pause", ("P",), "Pause", "pause / resume the ramp",
        mutating=True, faces=(Face("pause", "Pause"), Face("resume", "Resume")), palette="Pause / resume the ramp",
    ),
    ActionSpec(
        "rollback", "rollback", ("R",), "ROLLBACK",
        "EMERGENCY ROLLBACK to 0% at once: no dialog, even with a dialog open or an action in flight; retried until confirmed",
        mutating=True, priority=True, passes_id=True, palette="Emergency rollback to 0%", group="ROLLBACK",
    ),
    ActionSpec(
        "rollback_anywhere", "rollback", ("ctrl+r",), "ROLLBACK",
        "the same EMERGENCY ROLLBACK from anywhere: text fields, dialogs and the command palette included",
        mutating=True, priority=True, anywhere=True, passes_id=True, group="ROLLBACK",
    ),
    ActionSpec(
        "rollback_all", "rollback_all", ("X",), "ROLLBACK ALL",
        "fleet overview: roll back EVERY target above 0% in parallel after one confirmation listing them; each retried until confirmed",
        mutating=True, palette="Roll back every target to 0%…", fleet_only=True,
    ),
    ActionSpec("checkpoint", "checkpoint", ("c",), "Checkpoint", "create a rollback checkpoint with a note", mutating=True, palette="Create a rollback checkpoint…"),
    ActionSpec("freeze", "freeze", ("space",), "Freeze", "freeze / unfreeze the view (polling and judging go on)", palette="Freeze / unfreeze the view"),
    ActionSpec("refresh", "refresh", ("r",), "Refresh", "refresh now", footer=False, palette="Refresh now"),
    ActionSpec("next_theme", "next_theme", ("t",), "Theme", "next theme", palette="Next theme"),
    ActionSpec("help", "help", ("question_mark",), "Help", "this help: every key", palette="Help: every key"),
    ActionSpec("quit", "quit", ("q",), "Quit", "quit; never touches the ramp"),
    ActionSpec("quit_ctrl_c", "quit", ("ctrl+c",), "Quit", "quit; never touches the ramp", footer=False, priority=True),
    ActionSpec("releases", "releases", ("h",), "Releases",
               "releases of this target from the audit log: stages, holds, checkpoints, outcome; Enter opens one as a timeline",
               footer=False, palette="Releases of this target…"),
    ActionSpec("command_palette", "command_palette", ("ctrl+p",), "palette", "command palette: the same actions by name", footer=False, remappable=False),
)

BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}
#: the single dashboard's actions that change the deployment
MUTATING_ACTIONS = frozenset(spec.action for spec in ACTIONS if spec.mutating and not spec.fleet_only)
#: the fleet overview's actions that change a deployment (the single dashboard's and rollback-all)
FLEET_MUTATING_ACTIONS = frozenset(spec.action for spec in ACTIONS if spec.mutating)
#: ids the config's [keymap] may name
REMAPPABLE_IDS = tuple(spec.id for spec in ACTIONS if spec.remappable)


def split_keys(keys: str) -> tuple[str, ...]:
    """'ctrl+r, R' -> ('ctrl+r', 'R')."""
    return tuple(part.strip() for part in keys.split(","))


def key_character(key: str) -> str | None:
    """The character a key types, or None when it types none (a modifier combination or a named key)."""
    if "+" in key[1:]:
        return None
    if len(key) == 1:
        return key
    if key in NAMED_KEYS:
        return " " if key == "space" else None
    try:
        character = unicodedata.lookup(key.replace("_", " ").upper())
    except KeyError:
        return None
    return character


def types_or_edits(key: str) -> bool:
    """Whether a text field or a dialog would take `key` for itself (a character, or an editing key, shifted or not)."""
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    if any(m != "shift" for m in modifiers):
        return False
    return base in EDITING_KEYS or key_character(base) is not None


def key_problem(key: str) -> str | None:
    """Why `key` is not a key name, or None when it is ('R', 'ctrl+r', 'f12', 'space', 'question_mark', '?')."""
    if not key:
        return "an empty key in the list"
    if any(ch.isspace() for ch in key):
        return f"{key!r} has a space in it (write 'space' for the space bar, 'ctrl+r' for a combination)"
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    unknown = [m for m in modifiers if m not in MODIFIERS]
    if unknown:
        return f"{key!r}: unknown modifier {unknown[0]!r} (expected {', '.join(sorted(MODIFIERS))})"
    if not base:
        return f"{key!r} ends without a key"
    if len(base) == 1 and base.isprintable():
        return None
    if base in NAMED_KEYS:
        return None
    if key_character(base) is not None:
        return None
    return f"{key!r}: unknown key {base!r} (keys look like 'R', 'ctrl+r', 'f12', 'space' or '?')"


def keymap_problems(keymap: Mapping[str, object], *, fleet: bool = False) -> list[tuple[str, str]]:
    """(binding id, message) for every problem in a keymap: unknown ids, bad keys, keys that type, clashes.

    Clashes count the fleet overview's own keys (rollback-all) only for the fleet (`fleet`): the single
    dashboard has no such key, so `rollback = "X"` is fine there.
    """
    problems: list[tuple[str, str]] = []
    good: dict[str, tuple[str, ...]] = {}
    for binding_id, value in keymap.items():
        spec = BY_ID.get(binding_id)
        if spec is None:
            close = difflib.get_close_matches(str(binding_id), REMAPPABLE_IDS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(REMAPPABLE_IDS)}"
            problems.append((binding_id, f"unknown action id; {hint}"))
            continue
        if not spec.remappable:
            problems.append((binding_id, f"{spec.keys[0]} belongs to Textual and cannot be remapped"))
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append((binding_id, f"expected a key or comma-separated keys like 'R' or 'ctrl+r,R', got {value!r}"))
            continue
        keys = split_keys(value)
        bad = next((p for p in map(key_problem, keys) if p), None)
        if bad is not None:
            problems.append((binding_id, bad))
            continue
        if spec.anywhere:
            typing = [k for k in keys if types_or_edits(k)]
            if typing:
                problems.append((binding_id, f"{typing[0]!r} types or edits in a text field, so it could not work everywhere; use a combination like 'ctrl+r' or a function key like 'f12'"))
                continue
        good[binding_id] = keys
    effective = resolve_keys(good)
    owner: dict[str, str] = {}
    for spec in ACTIONS:
        if spec.fleet_only and not fleet:
            continue
        for key in effective[spec.id]:
            other = owner.setdefault(_canonical(key), spec.id)
            if other == spec.id or BY_ID[other].action == spec.action:
                continue  # P's two faces, or two keys for the same action
            culprit, rival = (spec.id, other) if spec.id in good else (other, spec.id)
            problems.append((culprit, f"{key_display(key)!r} is already the key of {rival!r}"))
    return problems


def _canonical(key: str) -> str:
    """One spelling per key: '?' and 'question_mark' are the same key."""
    if len(key) == 1 and not key.isalnum():
        try:
            return unicodedata.name(key).lower().replace(" ", "_")
        except ValueError:
            return key
    return key


def resolve_keys(keymap: Mapping[str, tuple[str, ...] | str]) -> dict[str, tuple[str, ...]]:
    """The keys of every action: the registry's defaults with the keymap's replacements."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in ACTIONS:
        given = keymap.get(spec.id)
        out[spec.id] = spec.keys if given is None else (split_keys(given) if isinstance(given, str) else tuple(given))
    return out


def key_display(key: str) -> str:
    """How the README writes a key: '?' for question_mark, names for the rest."""
    character = key_character(key)
    return character if character is not None and character != " " else key


def keys_table_markdown() -> str:
    """The README's keys table, generated from the registry (a test keeps the README equal to it)."""
    lines = ["| key | `[keymap]` id | what it does | changes the deployment |", "|---|---|---|---|"]
    for spec in ACTIONS:
        keys = ", ".join(f"`{key_display(k)}`" for k in spec.keys)
        binding_id = f"`{spec.id}`" if spec.remappable else "(Textual's own)"
        lines.append(f"| {keys} | {binding_id} | {spec.description} | {'yes' if spec.mutating else ''} |")
    return "\n".join(lines)
