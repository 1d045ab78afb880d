"""schemathesis hooks of `cargo xtask fuzz` (xtask/src/fuzz.rs).

The examples and coverage phases send the document's own examples and draw nothing from
the config's dictionaries. Some examples name what only a real run has: a one-time secret
(a link's token, a card's activation code), an account's password, a record's id (a
platform, a placement kind, an unused card) or a day that passes. So those phases could
never reach the logic behind them. Here every valid case whose body carries such an
example gets the set-up's values in its place: a secret each once, while they last; a
record always. Generated values and the dictionaries' are left as they are.

`PARTNERNETZ_FUZZ_SECRETS` names the phase's JSON file: per operation (`POST /path`), a
list of stand-ins, each with `example` (the example's values of some body fields),
`values` (objects of those fields) and `once`.
"""

import json
import os

import schemathesis

with open(os.environ["PARTNERNETZ_FUZZ_SECRETS"], encoding="utf-8") as file:
    STAND_INS = json.load(file)

# How many values each stand-in has handed out, by operation and position.
_HANDED_OUT = {}


@schemathesis.hook
def before_call(context, case, kwargs):
    label = case.operation.label
    meta = case.meta
    if label not in STAND_INS or meta is None or not meta.generation.mode.is_positive:
        return
    body = case.body
    if not isinstance(body, dict):
        return
    for position, stand_in in enumerate(STAND_INS[label]):
        example = stand_in["example"]
        if any(body.get(field) != value for field, value in example.items()):
            continue
        values = stand_in["values"]
        handed_out = _HANDED_OUT.get((label, position), 0)
        if stand_in["once"]:
            if handed_out >= len(values):
                continue
            _HANDED_OUT[(label, position)] = handed_out + 1
        elif not values:
            continue
        # A new object: the example's own is shared by the cases that follow.
        body = {**body, **values[handed_out if stand_in["once"] else 0]}
    if body is not case.body:
        case.body = body
