"""The five services' specs, in start order (the ones asked over gRPC first)."""

from __future__ import annotations

from chassis.host import ServiceSpec


def all_specs() -> list[ServiceSpec]:
    from services.appraisal.main import SPEC as APPRAISAL
    from services.archive.main import SPEC as ARCHIVE
    from services.audit.main import SPEC as AUDIT
    from services.intake.main import SPEC as INTAKE
    from services.settlement.main import SPEC as SETTLEMENT

    return [INTAKE, APPRAISAL, SETTLEMENT, AUDIT, ARCHIVE]
