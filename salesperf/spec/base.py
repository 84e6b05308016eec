"""The base of every kpi.yaml model and the checks several sections share."""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from salesperf.errors import did_you_mean
from salesperf.spec.vocabulary import WHERE_OPERATORS

#: A fraction of 1 (0.7 = 70%).
Fraction = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """YAML reads ``yes``, ``on`` and ``true`` as booleans, and pydantic would then
        take ``weight: yes`` as 1: refuse booleans where a number is expected."""
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _numbers_only(field.annotation):
            raise ValueError(f"expected a number, got {str(value).lower()} (yes/no/on/off)")
        return value


def _numbers_only(annotation: Any) -> bool:
    """True for int, float and their Optional/Annotated forms."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _numbers_only(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numbers_only(a) for a in args)
    return annotation in (int, float)


def _check_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """A `where` maps a field to a value, a list of values, or {operator: value}."""
    if where is None:
        return None
    for field, condition in where.items():
        if isinstance(condition, dict):
            if not condition:
                raise ValueError(f"where.{field}: empty condition; use a value or an operator")
            for op, value in condition.items():
                if op not in WHERE_OPERATORS:
                    raise ValueError(
                        f"where.{field}: unknown operator '{op}'; use one of "
                        f"{', '.join(WHERE_OPERATORS)}{did_you_mean(op, WHERE_OPERATORS)}"
                    )
                if op in ("in", "not_in") and not isinstance(value, list):
                    raise ValueError(f"where.{field}.{op}: expects a list of values")
                if op not in ("in", "not_in") and isinstance(value, list | dict):
                    raise ValueError(f"where.{field}.{op}: expects a single value")
        elif isinstance(condition, list):
            if not condition:
                raise ValueError(f"where.{field}: empty list matches nothing")
            if any(isinstance(v, list | dict) for v in condition):
                raise ValueError(f"where.{field}: a list must hold plain values")
    return where
