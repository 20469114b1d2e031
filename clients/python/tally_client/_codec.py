"""Conversions between the API's wire forms and Python values (docs/api.md, Conventions).

Amounts travel as decimal strings of credits ("12.5") and become `decimal.Decimal`; never a
float. Times are RFC 3339 UTC and become aware `datetime`s. Ids stay strings.
"""

from __future__ import annotations

import dataclasses
import keyword
import datetime as _dt
import decimal
import typing
from typing import Any, Optional, Union

AmountLike = Union[decimal.Decimal, int, str]
TimeLike = Union[_dt.datetime, str]

_MICRO = decimal.Decimal(1_000_000)


def amount_to_wire(value: AmountLike, field: str = "amount") -> Union[str, int]:
    """An amount for a request: Decimal and str become a plain decimal string, int stays int.

    A float is refused: 0.1 has no exact binary form, and the server refuses fractions sent as
    JSON numbers anyway.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{field}: use decimal.Decimal, int or str for credits, not {type(value).__name__}")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = decimal.Decimal(value)
    if not isinstance(value, decimal.Decimal):
        raise TypeError(f"{field}: expected Decimal, int or str, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{field}: {value} is not a finite amount")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def micro_to_decimal(micro: int) -> decimal.Decimal:
    """Micro-credits (the `_micro` twin of an amount) as credits."""
    return decimal.Decimal(micro) / _MICRO


def time_to_wire(value: TimeLike, field: str = "time") -> str:
    """An aware datetime as RFC 3339 UTC (`...Z`); a naive datetime is refused, a str is sent as is."""
    if isinstance(value, str):
        return value
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"{field}: expected an aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field}: naive datetime; give it a tzinfo (datetime.timezone.utc)")
    utc = value.astimezone(_dt.timezone.utc)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def time_from_wire(text: str) -> _dt.datetime:
    """RFC 3339 as an aware datetime (in UTC)."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    value = _dt.datetime.fromisoformat(t.replace("t", "T"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)


def duration_to_wire(value: Union[str, _dt.timedelta]) -> str:
    """An ISO 8601 duration: a str as is (`P1M`), a timedelta as `PnDTnHnMnS`."""
    if isinstance(value, str):
        return value
    if not isinstance(value, _dt.timedelta):
        raise TypeError(f"valid_for: expected str or timedelta, got {type(value).__name__}")
    if value <= _dt.timedelta(0) or value.microseconds:
        raise ValueError("valid_for: a positive whole number of seconds")
    days, rest = value.days, value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P" + (f"{days}D" if days else "")
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return text + ("T" + clock if clock else "")


# ---- decoding JSON into the dataclasses of models.py, driven by their type hints ----

_hints_cache: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _hints_cache.get(cls)
    if hints is None:
        hints = typing.get_type_hints(cls)
        _hints_cache[cls] = hints
    return hints


def wire_name(name: str) -> str:
    """A model field's name on the wire: `from_` is `from` (a Python keyword cannot be a field)."""
    return name[:-1] if name.endswith("_") and keyword.iskeyword(name[:-1]) else name


def field_types(cls: type) -> dict[str, Any]:
    """The declared type of every wire field of a model (not `raw`), by its wire name."""
    return {wire_name(f.name): _hints(cls)[f.name] for f in dataclasses.fields(cls) if f.name != "raw"}


def decode_value(tp: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin is Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return decode_value(args[0], value, where)
        for a in args:  # Union of models: the first that decodes
            try:
                return decode_value(a, value, where)
            except (TypeError, ValueError, KeyError):
                continue
        raise TypeError(f"{where}: no type of {tp} fits {value!r}")
    if origin is list:
        (item,) = typing.get_args(tp)
        return [decode_value(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        _, item = typing.get_args(tp)
        return {k: decode_value(item, v, f"{where}.{k}") for k, v in value.items()}
    if tp is Any or tp is dict or tp is list or tp is object:
        return value
    if tp is decimal.Decimal:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return decimal.Decimal(value)
        raise TypeError(f"{where}: expected a decimal string, got {value!r}")
    if tp is _dt.datetime:
        return time_from_wire(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{where}: expected a boolean, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise TypeError(f"{where}: expected a string, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        return decode_model(tp, value, where)
    raise TypeError(f"{where}: cannot decode into {tp}")


def decode_model(cls: type, data: Any, where: Optional[str] = None) -> Any:
    """A model from its JSON object. Fields the server sends that the model does not know stay
    in `raw` (a newer server may add fields); a field the model knows but the reply lacks is None.
    """
    where = where or cls.__name__
    if not isinstance(data, dict):
        raise TypeError(f"{where}: expected a JSON object, got {type(data).__name__}")
    kwargs = {
        f.name: decode_value(_hints(cls)[f.name], data.get(wire_name(f.name)), f"{where}.{wire_name(f.name)}")
        for f in dataclasses.fields(cls)
        if f.name != "raw"
    }
    return cls(raw=data, **kwargs)
