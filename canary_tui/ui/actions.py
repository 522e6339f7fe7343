"""Textual bindings, palette entries and help rows built from the action registry (canary_tui/core/actions.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from textual.binding import Binding, BindingType

from canary_tui.core.actions import ACTIONS, BY_ID, ActionSpec, Face, keymap_problems, split_keys

#: what a rollback started from the command palette names as its source
PALETTE_SOURCE = "palette"


def _call(spec: ActionSpec, face: Face | None) -> str:
    """The Textual action string a binding runs: 'advance', "toggle_pause('pause')", "rollback('rollback_anywhere')"."""
    argument = face.argument if face is not None else (spec.id if spec.passes_id else "")
    return f"{spec.action}({argument!r})" if argument else spec.action


def app_bindings(*, fleet: bool = False) -> list[BindingType]:
    """The dashboard's BINDINGS: one per registry entry (one per face), ids for the keymap, groups for the footer.

    `fleet` adds the fleet overview's own keys (rollback-all); the single dashboard leaves them out.
    """
    groups = {spec.group: Binding.Group(spec.group) for spec in ACTIONS if spec.group}
    out: list[BindingType] = []
    for spec in ACTIONS:
        if not spec.remappable or (spec.fleet_only and not fleet):
            continue  # Textual's own key (the command palette) is bound by Textual
        for face in spec.faces or (None,):
            out.append(
                Binding(
                    ",".join(spec.keys),
                    _call(spec, face),
                    face.label if face is not None else spec.label,
                    show=spec.footer,
                    priority=spec.priority,
                    id=spec.id,
                    group=groups.get(spec.group) if spec.group else None,
                )
            )
    return out


def without_mutating(bindings: list[BindingType]) -> list[BindingType]:
    """`bindings` minus every binding of an action that changes a deployment: the served web view has no such key at all."""
    mutating_ids = {spec.id for spec in ACTIONS if spec.mutating}
    return [binding for binding in bindings if not (isinstance(binding, Binding) and binding.id in mutating_ids)]


class CheckedKeymap(NamedTuple):
    """A requested keymap split into what can be applied and what is wrong with the rest."""

    keymap: dict[str, str]
    problems: list[str]


def check_keymap(requested: Mapping[str, str], *, fleet: bool = False) -> CheckedKeymap:
    """Keep the entries the registry accepts; say, per binding id, why the others were left out."""
    problems = keymap_problems(requested, fleet=fleet)
    rejected = {binding_id for binding_id, _ in problems}
    keymap = {binding_id: ",".join(split_keys(keys)) for binding_id, keys in requested.items() if binding_id not in rejected}
    return CheckedKeymap(keymap, [f"keymap.{binding_id}: {message}" for binding_id, message in problems])


class PaletteEntry(NamedTuple):
    """One command palette entry: the action to run, its title and its help line."""

    action: str
    check: str  # the action name check_action knows
    title: str
    help: str


def palette_entries(keys: Mapping[str, tuple[str, ...]], display: Callable[[str], str], *, fleet: bool = False) -> list[PaletteEntry]:
    """The palette's entries in registry order; each help line ends with the action's current keys."""
    entries: list[PaletteEntry] = []
    for spec in ACTIONS:
        if spec.palette is None or (spec.fleet_only and not fleet):
            continue
        shown = [display(key) for other in ACTIONS if other.action == spec.action and other.id in keys for key in keys[other.id]]
        action = f"{spec.action}({PALETTE_SOURCE!r})" if spec.passes_id else spec.action
        description = spec.description[0].upper() + spec.description[1:]
        entries.append(PaletteEntry(action, spec.action, spec.palette, f"{description} ({', '.join(shown)})"))
    return entries


def help_rows(
    keys: Mapping[str, tuple[str, ...]], display: Callable[[str], str], availability: Callable[[str], bool | None], *, fleet: bool = False,
) -> list[tuple[str, str, str]]:
    """(keys, description, availability word) in registry order; ids that say the same thing share a row (q, ^c)."""
    rows: list[tuple[str, str, str]] = []
    where: dict[tuple[str, str], int] = {}
    for spec in ACTIONS:
        shown = [display(key) for key in keys[spec.id]]
        index = where.get((spec.action, spec.description))
        if index is not None:
            key_text, description, word = rows[index]
            rows[index] = (", ".join([key_text, *shown]), description, word)
            continue
        state = availability(spec.action)
        word = "hidden: read-only" if state is False else ("unavailable now" if state is None else "")
        if spec.fleet_only and not fleet:
            word = "fleet overview only"  # listed, so the single view's help still shows every key
        where[(spec.action, spec.description)] = len(rows)
        rows.append((", ".join(shown), spec.description, word))
    return rows


def source_text(source: str | None, keys: Mapping[str, tuple[str, ...]]) -> str:
    """How the audit names what started an action: the keys of a binding id, or the command palette."""
    if source == PALETTE_SOURCE:
        return "command palette"
    if source is None:
        return "dashboard"
    spec = BY_ID.get(source)
    return "/".join(keys.get(source, spec.keys if spec else ())) or source
