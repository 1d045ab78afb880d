"""schemathesis hooks of `cargo xtask fuzz` (xtask/src/fuzz.rs).

The examples and coverage phases send the document's own examples and boundary values and
draw nothing from the config's dictionaries. Some fields name what only a real run has: a
one-time secret (a link's token, a card's activation code), an account's password, a record
(a platform to apply to, a card to transfer to, the images of an offer) or a day that
passes. No generated value can know them, so those operations would never reach the logic
behind "invalid token" or "not found". Here every valid (positive) case of such an operation
gets the set-up's values in their place, until the operation has answered `quota` of them
with success in the current phase (examples, coverage, fuzzing, stateful); then generated
values go out as they are. A value marked `once` is used up by its success (a token, a card,
an account closed); `swap` names two fields exchanged after each success (a password changed
to the other one and back). Keys `$path.<name>` set a path parameter, `$query.<name>` a
query parameter.

`PARTNERNETZ_FUZZ_SECRETS` names the phase's JSON file: per operation (`POST /path`), a list
of stand-ins, each with `values` (objects of fields), `once`, `quota` and optionally `swap`.
Under `$protected`, per operation, path parameters and the records no case may name (what
the other operations show). Generated values never name them (the config binds the
parameter to a dictionary without them), but the stateful phase follows links from lists
to them; a case that names one, valid or not, names an unknown record instead.
"""

import json
import os

import schemathesis

with open(os.environ["PARTNERNETZ_FUZZ_SECRETS"], encoding="utf-8") as file:
    STAND_INS = json.load(file)
PROTECTED = STAND_INS.pop("$protected", {})
# A well-formed id no record has.
UNKNOWN = "00000000-0000-7000-8000-000000000000"

# Successes per (operation, stand-in, phase).
_ACCEPTED = {}
# Values used up, per (operation, stand-in).
_USED = {}
# What each case got: case id -> [(operation, stand-in position, value index)].
_GIVEN = {}

PATH = "$path."
QUERY = "$query."


def _phase(case):
    return case.meta.phase.name.value if hasattr(case.meta.phase.name, "value") else str(case.meta.phase.name)


def _next_value(label, position, stand_in):
    used = _USED.get((label, position), set())
    for index in range(len(stand_in["values"])):
        if not stand_in["once"] or index not in used:
            return index
    return None


def _spare_protected(case):
    protected = PROTECTED.get(case.operation.label)
    if not protected or not case.path_parameters:
        return
    path = dict(case.path_parameters)
    for name, values in protected.items():
        if path.get(name) in values:
            path[name] = UNKNOWN
    if path != case.path_parameters:
        case.path_parameters = path


@schemathesis.hook
def before_call(context, case, kwargs):
    _spare_protected(case)
    label = case.operation.label
    meta = case.meta
    if label not in STAND_INS or meta is None or not meta.generation.mode.is_positive:
        return
    phase = _phase(case)
    body = case.body if isinstance(case.body, dict) else None
    path = dict(case.path_parameters or {})
    query = dict(case.query or {})
    given = []
    for position, stand_in in enumerate(STAND_INS[label]):
        if _ACCEPTED.get((label, position, phase), 0) >= stand_in["quota"]:
            continue
        index = _next_value(label, position, stand_in)
        if index is None:
            continue
        fields = {
            k: v for k, v in stand_in["values"][index].items() if not k.startswith((PATH, QUERY))
        }
        if fields and body is None:
            continue
        if fields:
            # A new object: the example's own is shared by the cases that follow.
            body = {**body, **fields}
        for key, value in stand_in["values"][index].items():
            if key.startswith(PATH):
                path[key[len(PATH):]] = value
            elif key.startswith(QUERY):
                query[key[len(QUERY):]] = value
        given.append((position, index))
    if not given:
        return
    if body is not None and body is not case.body:
        case.body = body
    if path != (case.path_parameters or {}):
        case.path_parameters = path
    if query != (case.query or {}):
        case.query = query
    _GIVEN[case.id] = (label, phase, given)


@schemathesis.hook
def after_call(context, case, response):
    entry = _GIVEN.pop(case.id, None)
    if entry is None or not 200 <= response.status_code < 300:
        return
    label, phase, given = entry
    for position, index in given:
        stand_in = STAND_INS[label][position]
        key = (label, position, phase)
        _ACCEPTED[key] = _ACCEPTED.get(key, 0) + 1
        if stand_in["once"]:
            _USED.setdefault((label, position), set()).add(index)
        swap = stand_in.get("swap")
        if swap:
            value = stand_in["values"][index]
            first, second = swap
            value[first], value[second] = value[second], value[first]
