"""The kpi.yaml spec: models, loading with line numbers, and cross-object rules."""

from salesperf.spec.load import load_spec, locate, parse_spec
from salesperf.spec.models import (
    ADDITIVE_MEASURES,
    Allocation,
    Direction,
    Grain,
    KpiSpec,
    Locale,
    MeasureKind,
    OrgSpec,
    Pacing,
    PartSpec,
    SourceSpec,
    Spec,
    TargetMethod,
    TargetSpec,
    Unit,
)

__all__ = [
    "ADDITIVE_MEASURES",
    "Allocation",
    "Direction",
    "Grain",
    "KpiSpec",
    "Locale",
    "MeasureKind",
    "OrgSpec",
    "Pacing",
    "PartSpec",
    "SourceSpec",
    "Spec",
    "TargetMethod",
    "TargetSpec",
    "Unit",
    "load_spec",
    "locate",
    "parse_spec",
]
