"""The simulator knows employees (310) and residents (390): 1101 says which, 2503 refuses a filing under the
other type, and 3201 takes one insurance type at a time, reconciling against what the platform holds for it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from provincial import ProvincialClient, ProvincialError
from provincial.models import EMPLOYEE_BASIC, RESIDENT_BASIC
from provincial.simulator import SimulatorState

from .conftest import INSTITUTION, OTHER, PERSON

JUNE = (date(2025, 6, 1), date(2025, 6, 30))


async def test_1101_gives_each_person_s_type_and_2503_checks_it(client: ProvincialClient,
                                                                state: SimulatorState) -> None:
    state.add_person(OTHER, insutype=EMPLOYEE_BASIC)
    employee = await client.person_info(OTHER, "李秀英")
    resident = await client.person_info(PERSON, "张建国")
    assert (employee.insutype, resident.insutype) == (EMPLOYEE_BASIC, RESIDENT_BASIC)
    with pytest.raises(ProvincialError, match="未参加险种 390"):
        await client.file_qualification(person_no=employee.psn_no, disease_code="M03900", disease_name="高血压",
                                        insurance_type=RESIDENT_BASIC, begins=date(2025, 7, 1), ends=None,
                                        hospital_code="H61070200099", appraised_on=date(2025, 6, 20),
                                        doctor_name="专家组")
    filed = await client.file_qualification(person_no=employee.psn_no, disease_code="M03900", disease_name="高血压",
                                            insurance_type=EMPLOYEE_BASIC, begins=date(2025, 7, 1), ends=None,
                                            hospital_code="H61070200099", appraised_on=date(2025, 6, 20),
                                            doctor_name="专家组")
    assert filed.serial


async def test_3201_reconciles_one_insurance_type_against_its_own_record(client: ProvincialClient,
                                                                        state: SimulatorState) -> None:
    state.record_settlements(INSTITUTION, *JUNE, medical_fee_total=Decimal("300.00"),
                             fund_paid_total=Decimal("200.00"), count=2, insutype=EMPLOYEE_BASIC)
    state.record_settlements(INSTITUTION, *JUNE, medical_fee_total=Decimal("100.00"),
                             fund_paid_total=Decimal("80.00"), count=1, insutype=RESIDENT_BASIC)

    async def totals(insutype: str, fee: str, fund: str, count: int) -> bool:
        result = await client.reconcile_totals(clr_type="11", begin_date=JUNE[0], end_date=JUNE[1],
                                               medical_fee_total=Decimal(fee), fund_paid_total=Decimal(fund),
                                               settlement_count=count, insutype=insutype)
        return result.balanced

    assert await totals(EMPLOYEE_BASIC, "300.00", "200.00", 2)
    assert await totals(RESIDENT_BASIC, "100.00", "80.00", 1)
    assert not await totals(RESIDENT_BASIC, "300.00", "200.00", 2)  # the employees' totals are not the residents'
    with pytest.raises(ProvincialError, match="险种类型不存在：999"):
        await totals("999", "1.00", "1.00", 1)
