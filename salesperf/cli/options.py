"""Library errors as the CLI shows them: an argument a Python caller passes (``rep=``) is
the option a terminal user typed (``--rep``). Below both the commands and the renderers,
which translate errors and warnings alike."""

from __future__ import annotations

import copy
import dataclasses

from salesperf.errors import SalesperfError

#: Library arguments whose option has another name (the rest: ``team=`` -> ``--team``).
OPTIONS = {"fmt": "--format", "kinds": "--kinds"}


def cli_error(exc: SalesperfError) -> SalesperfError:
    """The error as the CLI shows it: a finding about a library argument (``rep=``, see
    :func:`salesperf.errors.argument`) names the option the user typed (``--rep``)."""
    findings = []
    for finding in exc.findings:
        key = finding.location.key
        if key and key.endswith("=") and key[:-1].isidentifier():
            name = key[:-1]
            option = OPTIONS.get(name, "--" + name.replace("_", "-"))
            finding = dataclasses.replace(
                finding, location=dataclasses.replace(finding.location, key=option)
            )
        findings.append(finding)
    translated = copy.copy(exc)
    translated.findings = tuple(findings)
    return translated
