"""Validates Grafana dashboard JSON files against Grafana's published dashboard schema.

The schema is taken from the `grafana-foundation-sdk` package on PyPI: Grafana generates its
Python models (dashboard, panel options of every core panel, Prometheus queries) from the
CUE schema Grafana itself validates against. Grafana publishes no JSON Schema file in a
package we can install, so the check is done with those models, in two passes:

1. Round trip: the dashboard is decoded with the SDK's `from_json` (which picks the panel
   plugin's options and field config, and the data source's query model) and encoded back.
   Every key we wrote must come back with the same value: a key the schema does not know
   (a misspelt `fieldconfig`, a `thresholdStyle`) is dropped by the decoder and reported.
2. Types: every decoded value is checked against the model's type annotations: strings,
   numbers, booleans, lists, nested models, and enums (a `thresholdsStyle.mode` or a
   `colorMode` outside its enum is reported).

Usage: python3 validate_dashboard.py FILE...   (exit 0 when every file is valid)
"""

import enum
import json
import sys
import types
import typing

from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dashboard_model


def is_model(value):
    return hasattr(value, "to_json") and hasattr(type(value), "from_json")


def check_model(obj, path, errors):
    hints = typing.get_type_hints(type(obj))
    for name, hint in hints.items():
        if name.startswith("_") or not hasattr(obj, name):
            continue
        check(getattr(obj, name), hint, f"{path}.{name}", errors)


def accepts(value, hint, path):
    errors = []
    check(value, hint, path, errors)
    return errors


def check(value, hint, path, errors):
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is typing.Any or hint is object:
        if is_model(value):
            check_model(value, path, errors)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if is_model(item):
                    check_model(item, f"{path}[{i}]", errors)
        return
    if origin is typing.Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return
        attempts = [accepts(value, a, path) for a in args if a is not type(None)]
        if not any(not a for a in attempts):
            errors.extend(min(attempts, key=len))
        return
    if origin is typing.Literal:
        if value not in args:
            errors.append(f"{path}: {value!r} is not one of {args}")
        return
    if origin is list:
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list, got {value!r}")
            return
        for i, item in enumerate(value):
            check(item, args[0] if args else typing.Any, f"{path}[{i}]", errors)
        return
    if origin is dict:
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object, got {value!r}")
            return
        for key, item in value.items():
            check(item, args[1] if len(args) > 1 else typing.Any, f"{path}.{key}", errors)
        return
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        allowed = [m.value for m in hint]
        if isinstance(value, hint) or value in allowed:
            return
        errors.append(f"{path}: {value!r} is not one of {allowed}")
        return
    if hint is bool:
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
        return
    if hint is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            errors.append(f"{path}: expected an integer, got {value!r}")
        return
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{path}: expected a number, got {value!r}")
        return
    if hint is str:
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        return
    if isinstance(hint, type):
        if is_model(value) and isinstance(value, hint):
            check_model(value, path, errors)
        elif not isinstance(value, hint):
            errors.append(f"{path}: expected {hint.__name__}, got {value!r}")
        return


def round_trip(original, back, path, errors):
    if isinstance(original, dict):
        if not isinstance(back, dict):
            errors.append(f"{path}: the schema reads an object as {back!r}")
            return
        for key, value in original.items():
            if key not in back:
                errors.append(f"{path}.{key}: not in Grafana's schema (dropped on decoding)")
            else:
                round_trip(value, back[key], f"{path}.{key}", errors)
    elif isinstance(original, list):
        if not isinstance(back, list) or len(back) != len(original):
            errors.append(f"{path}: the list did not survive decoding")
            return
        for i, (a, b) in enumerate(zip(original, back)):
            round_trip(a, b, f"{path}[{i}]", errors)
    elif original != back:
        errors.append(f"{path}: {original!r} reads back as {back!r}")


def validate(document):
    errors = []
    if not isinstance(document, dict):
        return ["the dashboard is not a JSON object"]
    model = dashboard_model.Dashboard.from_json(document)
    check_model(model, "dashboard", errors)
    back = json.loads(json.dumps(model, cls=JSONEncoder))
    round_trip(document, back, "dashboard", errors)
    return errors


def main(paths):
    plugins.register_default_plugins()
    failed = False
    for path in paths:
        with open(path, encoding="utf-8") as file:
            document = json.load(file)
        errors = validate(document)
        if errors:
            failed = True
            print(f"{path}: {len(errors)} error(s) against Grafana's dashboard schema")
            for error in errors:
                print(f"  {error}")
        else:
            panels = len(document.get("panels", []))
            print(f"{path}: valid ({panels} panels)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
