from contracts.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApplicationSubmitted(_message.Message):
    __slots__ = ("application_id", "person_id", "person_name", "disease_code", "channel", "submitted_at", "documents", "program", "treating_hospital", "disease_codes", "kind", "qualification_id", "district", "district_name")
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    TREATING_HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_NAME_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    person_id: str
    person_name: str
    disease_code: str
    channel: str
    submitted_at: str
    documents: _containers.RepeatedCompositeFieldContainer[_common_pb2.DocumentRef]
    program: str
    treating_hospital: str
    disease_codes: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    qualification_id: str
    district: str
    district_name: str
    def __init__(self, application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., person_name: _Optional[str] = ..., disease_code: _Optional[str] = ..., channel: _Optional[str] = ..., submitted_at: _Optional[str] = ..., documents: _Optional[_Iterable[_Union[_common_pb2.DocumentRef, _Mapping]]] = ..., program: _Optional[str] = ..., treating_hospital: _Optional[str] = ..., disease_codes: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ..., qualification_id: _Optional[str] = ..., district: _Optional[str] = ..., district_name: _Optional[str] = ...) -> None: ...

class ApplicationDocumentsRequested(_message.Message):
    __slots__ = ("application_id", "person_id", "missing", "note", "requested_at")
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_AT_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    person_id: str
    missing: _containers.RepeatedScalarFieldContainer[str]
    note: str
    requested_at: str
    def __init__(self, application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., missing: _Optional[_Iterable[str]] = ..., note: _Optional[str] = ..., requested_at: _Optional[str] = ...) -> None: ...

class ApplicationCompleted(_message.Message):
    __slots__ = ("application_id", "person_id", "person_name", "disease_code", "program", "treating_hospital", "completed_at", "completed_on", "psn_no", "insuplc_admdvs", "documents", "insutype", "disease_codes", "kind", "qualification_id", "documents_complete_on")
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    TREATING_HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_ON_FIELD_NUMBER: _ClassVar[int]
    PSN_NO_FIELD_NUMBER: _ClassVar[int]
    INSUPLC_ADMDVS_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    INSUTYPE_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_COMPLETE_ON_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    person_id: str
    person_name: str
    disease_code: str
    program: str
    treating_hospital: str
    completed_at: str
    completed_on: str
    psn_no: str
    insuplc_admdvs: str
    documents: _containers.RepeatedCompositeFieldContainer[_common_pb2.DocumentRef]
    insutype: str
    disease_codes: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    qualification_id: str
    documents_complete_on: str
    def __init__(self, application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., person_name: _Optional[str] = ..., disease_code: _Optional[str] = ..., program: _Optional[str] = ..., treating_hospital: _Optional[str] = ..., completed_at: _Optional[str] = ..., completed_on: _Optional[str] = ..., psn_no: _Optional[str] = ..., insuplc_admdvs: _Optional[str] = ..., documents: _Optional[_Iterable[_Union[_common_pb2.DocumentRef, _Mapping]]] = ..., insutype: _Optional[str] = ..., disease_codes: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ..., qualification_id: _Optional[str] = ..., documents_complete_on: _Optional[str] = ...) -> None: ...

class ApplicationRejected(_message.Message):
    __slots__ = ("application_id", "person_id", "reason", "rejected_at", "reason_codes")
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    person_id: str
    reason: str
    rejected_at: str
    reason_codes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Reason]
    def __init__(self, application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., reason: _Optional[str] = ..., rejected_at: _Optional[str] = ..., reason_codes: _Optional[_Iterable[_Union[_common_pb2.Reason, _Mapping]]] = ...) -> None: ...

class ComplaintFiled(_message.Message):
    __slots__ = ("complaint_id", "person_id", "kind", "subject", "filed_at", "due_on", "due_provisional", "due_working_days", "filed_on", "institution_id", "detail")
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    DUE_PROVISIONAL_FIELD_NUMBER: _ClassVar[int]
    DUE_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    FILED_ON_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    complaint_id: str
    person_id: str
    kind: str
    subject: str
    filed_at: str
    due_on: str
    due_provisional: bool
    due_working_days: int
    filed_on: str
    institution_id: str
    detail: str
    def __init__(self, complaint_id: _Optional[str] = ..., person_id: _Optional[str] = ..., kind: _Optional[str] = ..., subject: _Optional[str] = ..., filed_at: _Optional[str] = ..., due_on: _Optional[str] = ..., due_provisional: _Optional[bool] = ..., due_working_days: _Optional[int] = ..., filed_on: _Optional[str] = ..., institution_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ComplaintResolved(_message.Message):
    __slots__ = ("complaint_id", "person_id", "resolution", "resolved_at", "overdue")
    COMPLAINT_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    complaint_id: str
    person_id: str
    resolution: str
    resolved_at: str
    overdue: bool
    def __init__(self, complaint_id: _Optional[str] = ..., person_id: _Optional[str] = ..., resolution: _Optional[str] = ..., resolved_at: _Optional[str] = ..., overdue: _Optional[bool] = ...) -> None: ...

class ExpertsAssigned(_message.Message):
    __slots__ = ("case_id", "application_id", "person_id", "expert_ids", "draw_seed", "candidates", "assigned_at", "due_on", "disease_code", "kind", "due_provisional", "due_working_days", "clock_from")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    EXPERT_IDS_FIELD_NUMBER: _ClassVar[int]
    DRAW_SEED_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    ASSIGNED_AT_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DUE_PROVISIONAL_FIELD_NUMBER: _ClassVar[int]
    DUE_WORKING_DAYS_FIELD_NUMBER: _ClassVar[int]
    CLOCK_FROM_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    application_id: str
    person_id: str
    expert_ids: _containers.RepeatedScalarFieldContainer[str]
    draw_seed: str
    candidates: _containers.RepeatedScalarFieldContainer[str]
    assigned_at: str
    due_on: str
    disease_code: str
    kind: str
    due_provisional: bool
    due_working_days: int
    clock_from: str
    def __init__(self, case_id: _Optional[str] = ..., application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., expert_ids: _Optional[_Iterable[str]] = ..., draw_seed: _Optional[str] = ..., candidates: _Optional[_Iterable[str]] = ..., assigned_at: _Optional[str] = ..., due_on: _Optional[str] = ..., disease_code: _Optional[str] = ..., kind: _Optional[str] = ..., due_provisional: _Optional[bool] = ..., due_working_days: _Optional[int] = ..., clock_from: _Optional[str] = ...) -> None: ...

class AppraisalConcluded(_message.Message):
    __slots__ = ("case_id", "application_id", "person_id", "disease_code", "outcome", "reason", "opinions", "concluded_at", "concluded_by", "overdue", "kind", "qualification_id", "reason_codes")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OPINIONS_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_AT_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_BY_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    application_id: str
    person_id: str
    disease_code: str
    outcome: str
    reason: str
    opinions: _containers.RepeatedCompositeFieldContainer[_common_pb2.ExpertOpinion]
    concluded_at: str
    concluded_by: str
    overdue: bool
    kind: str
    qualification_id: str
    reason_codes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Reason]
    def __init__(self, case_id: _Optional[str] = ..., application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., disease_code: _Optional[str] = ..., outcome: _Optional[str] = ..., reason: _Optional[str] = ..., opinions: _Optional[_Iterable[_Union[_common_pb2.ExpertOpinion, _Mapping]]] = ..., concluded_at: _Optional[str] = ..., concluded_by: _Optional[str] = ..., overdue: _Optional[bool] = ..., kind: _Optional[str] = ..., qualification_id: _Optional[str] = ..., reason_codes: _Optional[_Iterable[_Union[_common_pb2.Reason, _Mapping]]] = ...) -> None: ...

class QualificationGranted(_message.Message):
    __slots__ = ("qualification",)
    QUALIFICATION_FIELD_NUMBER: _ClassVar[int]
    qualification: _common_pb2.Qualification
    def __init__(self, qualification: _Optional[_Union[_common_pb2.Qualification, _Mapping]] = ...) -> None: ...

class QualificationFiled(_message.Message):
    __slots__ = ("qualification", "filing_serial", "filed_at")
    QUALIFICATION_FIELD_NUMBER: _ClassVar[int]
    FILING_SERIAL_FIELD_NUMBER: _ClassVar[int]
    FILED_AT_FIELD_NUMBER: _ClassVar[int]
    qualification: _common_pb2.Qualification
    filing_serial: str
    filed_at: str
    def __init__(self, qualification: _Optional[_Union[_common_pb2.Qualification, _Mapping]] = ..., filing_serial: _Optional[str] = ..., filed_at: _Optional[str] = ...) -> None: ...

class QualificationRevoked(_message.Message):
    __slots__ = ("qualification", "reason", "revoked_on")
    QUALIFICATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVOKED_ON_FIELD_NUMBER: _ClassVar[int]
    qualification: _common_pb2.Qualification
    reason: str
    revoked_on: str
    def __init__(self, qualification: _Optional[_Union[_common_pb2.Qualification, _Mapping]] = ..., reason: _Optional[str] = ..., revoked_on: _Optional[str] = ...) -> None: ...

class QualificationReviewDue(_message.Message):
    __slots__ = ("qualification", "due_on")
    QUALIFICATION_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    qualification: _common_pb2.Qualification
    due_on: str
    def __init__(self, qualification: _Optional[_Union[_common_pb2.Qualification, _Mapping]] = ..., due_on: _Optional[str] = ...) -> None: ...

class QualificationRenewed(_message.Message):
    __slots__ = ("qualification", "previous_review_due", "renewed_on", "review_case_id", "application_id")
    QUALIFICATION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_REVIEW_DUE_FIELD_NUMBER: _ClassVar[int]
    RENEWED_ON_FIELD_NUMBER: _ClassVar[int]
    REVIEW_CASE_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    qualification: _common_pb2.Qualification
    previous_review_due: str
    renewed_on: str
    review_case_id: str
    application_id: str
    def __init__(self, qualification: _Optional[_Union[_common_pb2.Qualification, _Mapping]] = ..., previous_review_due: _Optional[str] = ..., renewed_on: _Optional[str] = ..., review_case_id: _Optional[str] = ..., application_id: _Optional[str] = ...) -> None: ...

class PolicyPublished(_message.Message):
    __slots__ = ("table",)
    TABLE_FIELD_NUMBER: _ClassVar[int]
    table: _common_pb2.PolicyTable
    def __init__(self, table: _Optional[_Union[_common_pb2.PolicyTable, _Mapping]] = ...) -> None: ...

class BenefitsSettled(_message.Message):
    __slots__ = ("person_id", "institution_code", "month", "claimed", "payable", "lines", "policy_version", "statement_id")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    PAYABLE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    institution_code: str
    month: str
    claimed: str
    payable: str
    lines: int
    policy_version: str
    statement_id: str
    def __init__(self, person_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., month: _Optional[str] = ..., claimed: _Optional[str] = ..., payable: _Optional[str] = ..., lines: _Optional[int] = ..., policy_version: _Optional[str] = ..., statement_id: _Optional[str] = ...) -> None: ...

class StatementClosed(_message.Message):
    __slots__ = ("statement_id", "institution_code", "month", "claimed", "payable", "lines", "persons", "policy_version")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_FIELD_NUMBER: _ClassVar[int]
    PAYABLE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    PERSONS_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    institution_code: str
    month: str
    claimed: str
    payable: str
    lines: int
    persons: int
    policy_version: str
    def __init__(self, statement_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., month: _Optional[str] = ..., claimed: _Optional[str] = ..., payable: _Optional[str] = ..., lines: _Optional[int] = ..., persons: _Optional[int] = ..., policy_version: _Optional[str] = ...) -> None: ...

class StatementReconciled(_message.Message):
    __slots__ = ("statement_id", "institution_code", "month", "balanced", "detail")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    BALANCED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    institution_code: str
    month: str
    balanced: bool
    detail: str
    def __init__(self, statement_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., month: _Optional[str] = ..., balanced: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class PaymentIssued(_message.Message):
    __slots__ = ("payment_id", "statement_id", "institution_code", "month", "amount", "issued_at")
    PAYMENT_ID_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    payment_id: str
    statement_id: str
    institution_code: str
    month: str
    amount: str
    issued_at: str
    def __init__(self, payment_id: _Optional[str] = ..., statement_id: _Optional[str] = ..., institution_code: _Optional[str] = ..., month: _Optional[str] = ..., amount: _Optional[str] = ..., issued_at: _Optional[str] = ...) -> None: ...

class CriticalClaimSettled(_message.Message):
    __slots__ = ("claim_id", "person_id", "date", "care", "area", "networked", "source", "institution_code", "self_pay", "payable", "cumulative_self_pay", "cumulative_paid", "assistance", "policy_version", "disease", "total_cost", "review_required")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    CARE_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    NETWORKED_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_FIELD_NUMBER: _ClassVar[int]
    PAYABLE_FIELD_NUMBER: _ClassVar[int]
    CUMULATIVE_SELF_PAY_FIELD_NUMBER: _ClassVar[int]
    CUMULATIVE_PAID_FIELD_NUMBER: _ClassVar[int]
    ASSISTANCE_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    DISEASE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COST_FIELD_NUMBER: _ClassVar[int]
    REVIEW_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    person_id: str
    date: str
    care: str
    area: str
    networked: bool
    source: str
    institution_code: str
    self_pay: str
    payable: str
    cumulative_self_pay: str
    cumulative_paid: str
    assistance: bool
    policy_version: str
    disease: str
    total_cost: str
    review_required: bool
    def __init__(self, claim_id: _Optional[str] = ..., person_id: _Optional[str] = ..., date: _Optional[str] = ..., care: _Optional[str] = ..., area: _Optional[str] = ..., networked: _Optional[bool] = ..., source: _Optional[str] = ..., institution_code: _Optional[str] = ..., self_pay: _Optional[str] = ..., payable: _Optional[str] = ..., cumulative_self_pay: _Optional[str] = ..., cumulative_paid: _Optional[str] = ..., assistance: _Optional[bool] = ..., policy_version: _Optional[str] = ..., disease: _Optional[str] = ..., total_cost: _Optional[str] = ..., review_required: _Optional[bool] = ...) -> None: ...

class CriticalReviewCompleted(_message.Message):
    __slots__ = ("review_id", "claim_id", "person_id", "stratum", "outcome", "recovered", "completed_at")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    STRATUM_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RECOVERED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    claim_id: str
    person_id: str
    stratum: str
    outcome: str
    recovered: str
    completed_at: str
    def __init__(self, review_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., person_id: _Optional[str] = ..., stratum: _Optional[str] = ..., outcome: _Optional[str] = ..., recovered: _Optional[str] = ..., completed_at: _Optional[str] = ...) -> None: ...

class LedgerPosting(_message.Message):
    __slots__ = ("account", "debit", "credit")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    DEBIT_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    account: str
    debit: str
    credit: str
    def __init__(self, account: _Optional[str] = ..., debit: _Optional[str] = ..., credit: _Optional[str] = ...) -> None: ...

class LedgerPosted(_message.Message):
    __slots__ = ("entry_id", "program", "year", "date", "kind", "memo", "postings", "reverses", "amount")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    REVERSES_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    program: str
    year: int
    date: str
    kind: str
    memo: str
    postings: _containers.RepeatedCompositeFieldContainer[LedgerPosting]
    reverses: str
    amount: str
    def __init__(self, entry_id: _Optional[str] = ..., program: _Optional[str] = ..., year: _Optional[int] = ..., date: _Optional[str] = ..., kind: _Optional[str] = ..., memo: _Optional[str] = ..., postings: _Optional[_Iterable[_Union[LedgerPosting, _Mapping]]] = ..., reverses: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class FundYearClosed(_message.Message):
    __slots__ = ("program", "year", "outcome", "amount", "carrier_share", "fund_share", "detail_json")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CARRIER_SHARE_FIELD_NUMBER: _ClassVar[int]
    FUND_SHARE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    program: str
    year: int
    outcome: str
    amount: str
    carrier_share: str
    fund_share: str
    detail_json: str
    def __init__(self, program: _Optional[str] = ..., year: _Optional[int] = ..., outcome: _Optional[str] = ..., amount: _Optional[str] = ..., carrier_share: _Optional[str] = ..., fund_share: _Optional[str] = ..., detail_json: _Optional[str] = ...) -> None: ...

class FindingRaised(_message.Message):
    __slots__ = ("finding_id", "person_id", "kind", "description", "amount", "raised_at", "carrier_caused", "carrier_reason", "raised_on", "fund_year")
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RAISED_AT_FIELD_NUMBER: _ClassVar[int]
    CARRIER_CAUSED_FIELD_NUMBER: _ClassVar[int]
    CARRIER_REASON_FIELD_NUMBER: _ClassVar[int]
    RAISED_ON_FIELD_NUMBER: _ClassVar[int]
    FUND_YEAR_FIELD_NUMBER: _ClassVar[int]
    finding_id: str
    person_id: str
    kind: str
    description: str
    amount: str
    raised_at: str
    carrier_caused: bool
    carrier_reason: str
    raised_on: str
    fund_year: int
    def __init__(self, finding_id: _Optional[str] = ..., person_id: _Optional[str] = ..., kind: _Optional[str] = ..., description: _Optional[str] = ..., amount: _Optional[str] = ..., raised_at: _Optional[str] = ..., carrier_caused: _Optional[bool] = ..., carrier_reason: _Optional[str] = ..., raised_on: _Optional[str] = ..., fund_year: _Optional[int] = ...) -> None: ...

class WarningIssued(_message.Message):
    __slots__ = ("warning_id", "kind", "description", "due_on", "issued_at")
    WARNING_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    warning_id: str
    kind: str
    description: str
    due_on: str
    issued_at: str
    def __init__(self, warning_id: _Optional[str] = ..., kind: _Optional[str] = ..., description: _Optional[str] = ..., due_on: _Optional[str] = ..., issued_at: _Optional[str] = ...) -> None: ...

class ReportProduced(_message.Message):
    __slots__ = ("report_id", "kind", "period", "due_on", "produced_at", "overdue")
    REPORT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    PRODUCED_AT_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    report_id: str
    kind: str
    period: str
    due_on: str
    produced_at: str
    overdue: bool
    def __init__(self, report_id: _Optional[str] = ..., kind: _Optional[str] = ..., period: _Optional[str] = ..., due_on: _Optional[str] = ..., produced_at: _Optional[str] = ..., overdue: _Optional[bool] = ...) -> None: ...

class TrailAnchored(_message.Message):
    __slots__ = ("tenant", "seq", "head_mac", "entries", "at", "key_id", "mac_key_id", "public_key", "signature")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    HEAD_MAC_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    MAC_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    tenant: str
    seq: int
    head_mac: str
    entries: int
    at: str
    key_id: str
    mac_key_id: str
    public_key: str
    signature: str
    def __init__(self, tenant: _Optional[str] = ..., seq: _Optional[int] = ..., head_mac: _Optional[str] = ..., entries: _Optional[int] = ..., at: _Optional[str] = ..., key_id: _Optional[str] = ..., mac_key_id: _Optional[str] = ..., public_key: _Optional[str] = ..., signature: _Optional[str] = ...) -> None: ...

class HandoverReady(_message.Message):
    __slots__ = ("export_id", "program", "persons", "entries", "sha256", "produced_at")
    EXPORT_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    PERSONS_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    PRODUCED_AT_FIELD_NUMBER: _ClassVar[int]
    export_id: str
    program: str
    persons: int
    entries: int
    sha256: str
    produced_at: str
    def __init__(self, export_id: _Optional[str] = ..., program: _Optional[str] = ..., persons: _Optional[int] = ..., entries: _Optional[int] = ..., sha256: _Optional[str] = ..., produced_at: _Optional[str] = ...) -> None: ...

class PersonAccessed(_message.Message):
    __slots__ = ("access_id", "person_id", "subject", "role", "tenant", "object_kind", "object_id", "action", "accessed_at", "trace_id", "service", "channel")
    ACCESS_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    ACCESSED_AT_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    access_id: str
    person_id: str
    subject: str
    role: str
    tenant: str
    object_kind: str
    object_id: str
    action: str
    accessed_at: str
    trace_id: str
    service: str
    channel: str
    def __init__(self, access_id: _Optional[str] = ..., person_id: _Optional[str] = ..., subject: _Optional[str] = ..., role: _Optional[str] = ..., tenant: _Optional[str] = ..., object_kind: _Optional[str] = ..., object_id: _Optional[str] = ..., action: _Optional[str] = ..., accessed_at: _Optional[str] = ..., trace_id: _Optional[str] = ..., service: _Optional[str] = ..., channel: _Optional[str] = ...) -> None: ...

class CareApplicationChanged(_message.Message):
    __slots__ = ("application_id", "person_id", "status", "lot", "district", "city_level", "channel", "basis", "care_institution_id", "insutype", "reasons", "occurred_at", "missing", "disabled_since", "applied_on", "documents")
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    CITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    BASIS_FIELD_NUMBER: _ClassVar[int]
    CARE_INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    INSUTYPE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    DISABLED_SINCE_FIELD_NUMBER: _ClassVar[int]
    APPLIED_ON_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    person_id: str
    status: str
    lot: str
    district: str
    city_level: bool
    channel: str
    basis: str
    care_institution_id: str
    insutype: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    occurred_at: str
    missing: _containers.RepeatedScalarFieldContainer[str]
    disabled_since: str
    applied_on: str
    documents: _containers.RepeatedCompositeFieldContainer[_common_pb2.DocumentRef]
    def __init__(self, application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., status: _Optional[str] = ..., lot: _Optional[str] = ..., district: _Optional[str] = ..., city_level: _Optional[bool] = ..., channel: _Optional[str] = ..., basis: _Optional[str] = ..., care_institution_id: _Optional[str] = ..., insutype: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., occurred_at: _Optional[str] = ..., missing: _Optional[_Iterable[str]] = ..., disabled_since: _Optional[str] = ..., applied_on: _Optional[str] = ..., documents: _Optional[_Iterable[_Union[_common_pb2.DocumentRef, _Mapping]]] = ...) -> None: ...

class DisabilityAssessmentOpened(_message.Message):
    __slots__ = ("assessment_id", "application_id", "person_id", "assessors", "seed", "round", "kind", "opened_at", "candidates", "care_institution_id", "excluded", "previous_assessment_id")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSORS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    CARE_INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    EXCLUDED_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    application_id: str
    person_id: str
    assessors: _containers.RepeatedScalarFieldContainer[str]
    seed: str
    round: int
    kind: str
    opened_at: str
    candidates: _containers.RepeatedScalarFieldContainer[str]
    care_institution_id: str
    excluded: _containers.RepeatedScalarFieldContainer[str]
    previous_assessment_id: str
    def __init__(self, assessment_id: _Optional[str] = ..., application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., assessors: _Optional[_Iterable[str]] = ..., seed: _Optional[str] = ..., round: _Optional[int] = ..., kind: _Optional[str] = ..., opened_at: _Optional[str] = ..., candidates: _Optional[_Iterable[str]] = ..., care_institution_id: _Optional[str] = ..., excluded: _Optional[_Iterable[str]] = ..., previous_assessment_id: _Optional[str] = ...) -> None: ...

class DisabilityConcluded(_message.Message):
    __slots__ = ("assessment_id", "application_id", "person_id", "grade", "grade_name", "adl_level", "cognition_level", "perception_level", "eligible", "scale_version", "reasons", "concluded_at", "recheck_due", "round", "assessors", "lot", "city_level", "kind", "assessment_fee", "concluded_on")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    GRADE_NAME_FIELD_NUMBER: _ClassVar[int]
    ADL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    COGNITION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERCEPTION_LEVEL_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    SCALE_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_AT_FIELD_NUMBER: _ClassVar[int]
    RECHECK_DUE_FIELD_NUMBER: _ClassVar[int]
    ROUND_FIELD_NUMBER: _ClassVar[int]
    ASSESSORS_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    CITY_LEVEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_FEE_FIELD_NUMBER: _ClassVar[int]
    CONCLUDED_ON_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    application_id: str
    person_id: str
    grade: int
    grade_name: str
    adl_level: int
    cognition_level: int
    perception_level: int
    eligible: bool
    scale_version: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    concluded_at: str
    recheck_due: str
    round: int
    assessors: _containers.RepeatedScalarFieldContainer[str]
    lot: str
    city_level: bool
    kind: str
    assessment_fee: str
    concluded_on: str
    def __init__(self, assessment_id: _Optional[str] = ..., application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., grade: _Optional[int] = ..., grade_name: _Optional[str] = ..., adl_level: _Optional[int] = ..., cognition_level: _Optional[int] = ..., perception_level: _Optional[int] = ..., eligible: _Optional[bool] = ..., scale_version: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., concluded_at: _Optional[str] = ..., recheck_due: _Optional[str] = ..., round: _Optional[int] = ..., assessors: _Optional[_Iterable[str]] = ..., lot: _Optional[str] = ..., city_level: _Optional[bool] = ..., kind: _Optional[str] = ..., assessment_fee: _Optional[str] = ..., concluded_on: _Optional[str] = ...) -> None: ...

class DisabilityObjected(_message.Message):
    __slots__ = ("assessment_id", "person_id", "reason", "objected_at", "reassessment_id")
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OBJECTED_AT_FIELD_NUMBER: _ClassVar[int]
    REASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    assessment_id: str
    person_id: str
    reason: str
    objected_at: str
    reassessment_id: str
    def __init__(self, assessment_id: _Optional[str] = ..., person_id: _Optional[str] = ..., reason: _Optional[str] = ..., objected_at: _Optional[str] = ..., reassessment_id: _Optional[str] = ...) -> None: ...

class DisabilityRecheckDue(_message.Message):
    __slots__ = ("person_id", "assessment_id", "due_on")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENT_ID_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    assessment_id: str
    due_on: str
    def __init__(self, person_id: _Optional[str] = ..., assessment_id: _Optional[str] = ..., due_on: _Optional[str] = ...) -> None: ...

class InstitutionChanged(_message.Message):
    __slots__ = ("institution_id", "kind", "name", "status", "step", "agreement_from", "agreement_to", "modes", "district", "occurred_at", "reason", "outcome", "effective_on", "version", "terms", "suspensions", "terminated_on", "level")
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_FROM_FIELD_NUMBER: _ClassVar[int]
    AGREEMENT_TO_FIELD_NUMBER: _ClassVar[int]
    MODES_FIELD_NUMBER: _ClassVar[int]
    DISTRICT_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_ON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    TERMS_FIELD_NUMBER: _ClassVar[int]
    SUSPENSIONS_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_ON_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    institution_id: str
    kind: str
    name: str
    status: str
    step: str
    agreement_from: str
    agreement_to: str
    modes: _containers.RepeatedScalarFieldContainer[str]
    district: str
    occurred_at: str
    reason: str
    outcome: str
    effective_on: str
    version: int
    terms: _containers.RepeatedCompositeFieldContainer[InstitutionPeriod]
    suspensions: _containers.RepeatedCompositeFieldContainer[InstitutionPeriod]
    terminated_on: str
    level: str
    def __init__(self, institution_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., status: _Optional[str] = ..., step: _Optional[str] = ..., agreement_from: _Optional[str] = ..., agreement_to: _Optional[str] = ..., modes: _Optional[_Iterable[str]] = ..., district: _Optional[str] = ..., occurred_at: _Optional[str] = ..., reason: _Optional[str] = ..., outcome: _Optional[str] = ..., effective_on: _Optional[str] = ..., version: _Optional[int] = ..., terms: _Optional[_Iterable[_Union[InstitutionPeriod, _Mapping]]] = ..., suspensions: _Optional[_Iterable[_Union[InstitutionPeriod, _Mapping]]] = ..., terminated_on: _Optional[str] = ..., level: _Optional[str] = ...) -> None: ...

class InstitutionPeriod(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: str
    end: str
    def __init__(self, start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class InstitutionInterviewed(_message.Message):
    __slots__ = ("institution_id", "interview_id", "held_on", "violations", "minutes_sha256", "outcome")
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    HELD_ON_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    MINUTES_SHA256_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    institution_id: str
    interview_id: str
    held_on: str
    violations: _containers.RepeatedScalarFieldContainer[str]
    minutes_sha256: str
    outcome: str
    def __init__(self, institution_id: _Optional[str] = ..., interview_id: _Optional[str] = ..., held_on: _Optional[str] = ..., violations: _Optional[_Iterable[str]] = ..., minutes_sha256: _Optional[str] = ..., outcome: _Optional[str] = ...) -> None: ...

class CarePlanItem(_message.Message):
    __slots__ = ("code", "per_month")
    CODE_FIELD_NUMBER: _ClassVar[int]
    PER_MONTH_FIELD_NUMBER: _ClassVar[int]
    code: str
    per_month: int
    def __init__(self, code: _Optional[str] = ..., per_month: _Optional[int] = ...) -> None: ...

class CarePlanApproved(_message.Message):
    __slots__ = ("plan_id", "person_id", "institution_id", "mode", "grade", "items", "valid_from", "valid_to", "catalogue_version")
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    plan_id: str
    person_id: str
    institution_id: str
    mode: str
    grade: int
    items: _containers.RepeatedCompositeFieldContainer[CarePlanItem]
    valid_from: str
    valid_to: str
    catalogue_version: str
    def __init__(self, plan_id: _Optional[str] = ..., person_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., mode: _Optional[str] = ..., grade: _Optional[int] = ..., items: _Optional[_Iterable[_Union[CarePlanItem, _Mapping]]] = ..., valid_from: _Optional[str] = ..., valid_to: _Optional[str] = ..., catalogue_version: _Optional[str] = ...) -> None: ...

class CareServiceRecord(_message.Message):
    __slots__ = ("record_id", "person_id", "caregiver_id", "date", "items", "start", "end", "plan_id")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    CAREGIVER_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    person_id: str
    caregiver_id: str
    date: str
    items: _containers.RepeatedScalarFieldContainer[str]
    start: str
    end: str
    plan_id: str
    def __init__(self, record_id: _Optional[str] = ..., person_id: _Optional[str] = ..., caregiver_id: _Optional[str] = ..., date: _Optional[str] = ..., items: _Optional[_Iterable[str]] = ..., start: _Optional[str] = ..., end: _Optional[str] = ..., plan_id: _Optional[str] = ...) -> None: ...

class CareServicesRecorded(_message.Message):
    __slots__ = ("batch_id", "institution_id", "month", "records")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    institution_id: str
    month: str
    records: _containers.RepeatedCompositeFieldContainer[CareServiceRecord]
    def __init__(self, batch_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., month: _Optional[str] = ..., records: _Optional[_Iterable[_Union[CareServiceRecord, _Mapping]]] = ...) -> None: ...

class CareStatementPaid(_message.Message):
    __slots__ = ("statement_id", "institution_id", "month", "amount", "records", "persons", "benefits_version", "paid_at", "person_ids")
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    PERSONS_FIELD_NUMBER: _ClassVar[int]
    BENEFITS_VERSION_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    PERSON_IDS_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    institution_id: str
    month: str
    amount: str
    records: int
    persons: int
    benefits_version: str
    paid_at: str
    person_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, statement_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., month: _Optional[str] = ..., amount: _Optional[str] = ..., records: _Optional[int] = ..., persons: _Optional[int] = ..., benefits_version: _Optional[str] = ..., paid_at: _Optional[str] = ..., person_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class AssessmentFeesPaid(_message.Message):
    __slots__ = ("statement_id", "month", "amount", "assessments", "due_from", "paid_at")
    class DueFromEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    STATEMENT_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ASSESSMENTS_FIELD_NUMBER: _ClassVar[int]
    DUE_FROM_FIELD_NUMBER: _ClassVar[int]
    PAID_AT_FIELD_NUMBER: _ClassVar[int]
    statement_id: str
    month: str
    amount: str
    assessments: int
    due_from: _containers.ScalarMap[str, str]
    paid_at: str
    def __init__(self, statement_id: _Optional[str] = ..., month: _Optional[str] = ..., amount: _Optional[str] = ..., assessments: _Optional[int] = ..., due_from: _Optional[_Mapping[str, str]] = ..., paid_at: _Optional[str] = ...) -> None: ...

class PatrolCompleted(_message.Message):
    __slots__ = ("patrol_id", "quarter", "institution_ids", "record_ids", "inspectors", "findings", "completed_at", "person_ids", "date")
    PATROL_ID_FIELD_NUMBER: _ClassVar[int]
    QUARTER_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_IDS_FIELD_NUMBER: _ClassVar[int]
    RECORD_IDS_FIELD_NUMBER: _ClassVar[int]
    INSPECTORS_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    PERSON_IDS_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    patrol_id: str
    quarter: str
    institution_ids: _containers.RepeatedScalarFieldContainer[str]
    record_ids: _containers.RepeatedScalarFieldContainer[str]
    inspectors: _containers.RepeatedScalarFieldContainer[str]
    findings: _containers.RepeatedScalarFieldContainer[str]
    completed_at: str
    person_ids: _containers.RepeatedScalarFieldContainer[str]
    date: str
    def __init__(self, patrol_id: _Optional[str] = ..., quarter: _Optional[str] = ..., institution_ids: _Optional[_Iterable[str]] = ..., record_ids: _Optional[_Iterable[str]] = ..., inspectors: _Optional[_Iterable[str]] = ..., findings: _Optional[_Iterable[str]] = ..., completed_at: _Optional[str] = ..., person_ids: _Optional[_Iterable[str]] = ..., date: _Optional[str] = ...) -> None: ...

class StatusSurveyRecorded(_message.Message):
    __slots__ = ("survey_id", "person_id", "year", "status", "surveyed_on")
    SURVEY_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SURVEYED_ON_FIELD_NUMBER: _ClassVar[int]
    survey_id: str
    person_id: str
    year: int
    status: str
    surveyed_on: str
    def __init__(self, survey_id: _Optional[str] = ..., person_id: _Optional[str] = ..., year: _Optional[int] = ..., status: _Optional[str] = ..., surveyed_on: _Optional[str] = ...) -> None: ...

class CarrierScoreAssessed(_message.Message):
    __slots__ = ("year", "score", "grade", "items_version", "deductions", "assessed_at", "revision", "lot", "assessed_on", "performance_due_on")
    class DeductionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    YEAR_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEDUCTIONS_FIELD_NUMBER: _ClassVar[int]
    ASSESSED_AT_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    ASSESSED_ON_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_DUE_ON_FIELD_NUMBER: _ClassVar[int]
    year: int
    score: str
    grade: str
    items_version: str
    deductions: _containers.ScalarMap[str, str]
    assessed_at: str
    revision: int
    lot: str
    assessed_on: str
    performance_due_on: str
    def __init__(self, year: _Optional[int] = ..., score: _Optional[str] = ..., grade: _Optional[str] = ..., items_version: _Optional[str] = ..., deductions: _Optional[_Mapping[str, str]] = ..., assessed_at: _Optional[str] = ..., revision: _Optional[int] = ..., lot: _Optional[str] = ..., assessed_on: _Optional[str] = ..., performance_due_on: _Optional[str] = ...) -> None: ...

class LtcPerformancePaid(_message.Message):
    __slots__ = ("year", "amount", "paid_on", "due_on", "overdue", "score_revision", "grade", "lot")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAID_ON_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    SCORE_REVISION_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    LOT_FIELD_NUMBER: _ClassVar[int]
    year: int
    amount: str
    paid_on: str
    due_on: str
    overdue: bool
    score_revision: int
    grade: str
    lot: str
    def __init__(self, year: _Optional[int] = ..., amount: _Optional[str] = ..., paid_on: _Optional[str] = ..., due_on: _Optional[str] = ..., overdue: _Optional[bool] = ..., score_revision: _Optional[int] = ..., grade: _Optional[str] = ..., lot: _Optional[str] = ...) -> None: ...

class CaseOpened(_message.Message):
    __slots__ = ("case_id", "institution_id", "source", "lead_id", "inspection_id", "opened_on", "opened_at")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_ID_FIELD_NUMBER: _ClassVar[int]
    OPENED_ON_FIELD_NUMBER: _ClassVar[int]
    OPENED_AT_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    institution_id: str
    source: str
    lead_id: str
    inspection_id: str
    opened_on: str
    opened_at: str
    def __init__(self, case_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., source: _Optional[str] = ..., lead_id: _Optional[str] = ..., inspection_id: _Optional[str] = ..., opened_on: _Optional[str] = ..., opened_at: _Optional[str] = ...) -> None: ...

class CaseFindingRef(_message.Message):
    __slots__ = ("code", "amount", "catalogue_version")
    CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    code: str
    amount: str
    catalogue_version: str
    def __init__(self, code: _Optional[str] = ..., amount: _Optional[str] = ..., catalogue_version: _Optional[str] = ...) -> None: ...

class CaseDecisionRef(_message.Message):
    __slots__ = ("kind", "amount")
    KIND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    kind: str
    amount: str
    def __init__(self, kind: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class CaseClosed(_message.Message):
    __slots__ = ("case_id", "institution_id", "source", "outcome", "findings", "decisions", "amount_found", "amount_recovered", "closed_on", "closed_at", "inspection_id", "lead_id")
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    DECISIONS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FOUND_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_RECOVERED_FIELD_NUMBER: _ClassVar[int]
    CLOSED_ON_FIELD_NUMBER: _ClassVar[int]
    CLOSED_AT_FIELD_NUMBER: _ClassVar[int]
    INSPECTION_ID_FIELD_NUMBER: _ClassVar[int]
    LEAD_ID_FIELD_NUMBER: _ClassVar[int]
    case_id: str
    institution_id: str
    source: str
    outcome: str
    findings: _containers.RepeatedCompositeFieldContainer[CaseFindingRef]
    decisions: _containers.RepeatedCompositeFieldContainer[CaseDecisionRef]
    amount_found: str
    amount_recovered: str
    closed_on: str
    closed_at: str
    inspection_id: str
    lead_id: str
    def __init__(self, case_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., source: _Optional[str] = ..., outcome: _Optional[str] = ..., findings: _Optional[_Iterable[_Union[CaseFindingRef, _Mapping]]] = ..., decisions: _Optional[_Iterable[_Union[CaseDecisionRef, _Mapping]]] = ..., amount_found: _Optional[str] = ..., amount_recovered: _Optional[str] = ..., closed_on: _Optional[str] = ..., closed_at: _Optional[str] = ..., inspection_id: _Optional[str] = ..., lead_id: _Optional[str] = ...) -> None: ...

class CreditDeductionRef(_message.Message):
    __slots__ = ("code", "points", "items")
    CODE_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    code: str
    points: str
    items: int
    def __init__(self, code: _Optional[str] = ..., points: _Optional[str] = ..., items: _Optional[int] = ...) -> None: ...

class CreditEvaluated(_message.Message):
    __slots__ = ("evaluation_id", "institution_id", "year", "score", "grade", "rules_version", "deductions", "revision", "approved_at", "approved_by")
    EVALUATION_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    GRADE_FIELD_NUMBER: _ClassVar[int]
    RULES_VERSION_FIELD_NUMBER: _ClassVar[int]
    DEDUCTIONS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    APPROVED_AT_FIELD_NUMBER: _ClassVar[int]
    APPROVED_BY_FIELD_NUMBER: _ClassVar[int]
    evaluation_id: str
    institution_id: str
    year: int
    score: str
    grade: str
    rules_version: str
    deductions: _containers.RepeatedCompositeFieldContainer[CreditDeductionRef]
    revision: int
    approved_at: str
    approved_by: str
    def __init__(self, evaluation_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., year: _Optional[int] = ..., score: _Optional[str] = ..., grade: _Optional[str] = ..., rules_version: _Optional[str] = ..., deductions: _Optional[_Iterable[_Union[CreditDeductionRef, _Mapping]]] = ..., revision: _Optional[int] = ..., approved_at: _Optional[str] = ..., approved_by: _Optional[str] = ...) -> None: ...

class ReviewLine(_message.Message):
    __slots__ = ("line_id", "item_code", "date", "quantity", "unit_price", "amount", "days_supply", "kind")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    DAYS_SUPPLY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    item_code: str
    date: str
    quantity: str
    unit_price: str
    amount: str
    days_supply: int
    kind: str
    def __init__(self, line_id: _Optional[str] = ..., item_code: _Optional[str] = ..., date: _Optional[str] = ..., quantity: _Optional[str] = ..., unit_price: _Optional[str] = ..., amount: _Optional[str] = ..., days_supply: _Optional[int] = ..., kind: _Optional[str] = ...) -> None: ...

class ReviewClaim(_message.Message):
    __slots__ = ("claim_id", "person_id", "sex", "birth_date", "kind", "admitted_on", "discharged_on", "settled_at", "lines")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ADMITTED_ON_FIELD_NUMBER: _ClassVar[int]
    DISCHARGED_ON_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    person_id: str
    sex: str
    birth_date: str
    kind: str
    admitted_on: str
    discharged_on: str
    settled_at: str
    lines: _containers.RepeatedCompositeFieldContainer[ReviewLine]
    def __init__(self, claim_id: _Optional[str] = ..., person_id: _Optional[str] = ..., sex: _Optional[str] = ..., birth_date: _Optional[str] = ..., kind: _Optional[str] = ..., admitted_on: _Optional[str] = ..., discharged_on: _Optional[str] = ..., settled_at: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReviewLine, _Mapping]]] = ...) -> None: ...

class ClaimLinesSubmitted(_message.Message):
    __slots__ = ("batch_id", "part", "parts", "program", "source", "institution_id", "institution_kind", "month", "claims", "submitted_at")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_KIND_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    part: int
    parts: int
    program: str
    source: str
    institution_id: str
    institution_kind: str
    month: str
    claims: _containers.RepeatedCompositeFieldContainer[ReviewClaim]
    submitted_at: str
    def __init__(self, batch_id: _Optional[str] = ..., part: _Optional[int] = ..., parts: _Optional[int] = ..., program: _Optional[str] = ..., source: _Optional[str] = ..., institution_id: _Optional[str] = ..., institution_kind: _Optional[str] = ..., month: _Optional[str] = ..., claims: _Optional[_Iterable[_Union[ReviewClaim, _Mapping]]] = ..., submitted_at: _Optional[str] = ...) -> None: ...

class ReviewHold(_message.Message):
    __slots__ = ("hit_id", "rule", "claim_id", "line_ids", "amount")
    HIT_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    hit_id: str
    rule: str
    claim_id: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    amount: str
    def __init__(self, hit_id: _Optional[str] = ..., rule: _Optional[str] = ..., claim_id: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., amount: _Optional[str] = ...) -> None: ...

class ClaimReviewCompleted(_message.Message):
    __slots__ = ("batch_id", "part", "parts", "program", "source", "institution_id", "month", "holds", "rule_set_version", "catalogue_version", "completed_at", "claims", "lines")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    part: int
    parts: int
    program: str
    source: str
    institution_id: str
    month: str
    holds: _containers.RepeatedCompositeFieldContainer[ReviewHold]
    rule_set_version: str
    catalogue_version: str
    completed_at: str
    claims: int
    lines: int
    def __init__(self, batch_id: _Optional[str] = ..., part: _Optional[int] = ..., parts: _Optional[int] = ..., program: _Optional[str] = ..., source: _Optional[str] = ..., institution_id: _Optional[str] = ..., month: _Optional[str] = ..., holds: _Optional[_Iterable[_Union[ReviewHold, _Mapping]]] = ..., rule_set_version: _Optional[str] = ..., catalogue_version: _Optional[str] = ..., completed_at: _Optional[str] = ..., claims: _Optional[int] = ..., lines: _Optional[int] = ...) -> None: ...

class ReviewHitDecided(_message.Message):
    __slots__ = ("hit_id", "rule", "decision", "source", "batch_id", "claim_id", "line_ids", "amount", "institution_id", "month", "program", "decided_at", "decided_by", "rule_set_version", "catalogue_version")
    HIT_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    DECIDED_AT_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    RULE_SET_VERSION_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    hit_id: str
    rule: str
    decision: str
    source: str
    batch_id: str
    claim_id: str
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    amount: str
    institution_id: str
    month: str
    program: str
    decided_at: str
    decided_by: str
    rule_set_version: str
    catalogue_version: str
    def __init__(self, hit_id: _Optional[str] = ..., rule: _Optional[str] = ..., decision: _Optional[str] = ..., source: _Optional[str] = ..., batch_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., line_ids: _Optional[_Iterable[str]] = ..., amount: _Optional[str] = ..., institution_id: _Optional[str] = ..., month: _Optional[str] = ..., program: _Optional[str] = ..., decided_at: _Optional[str] = ..., decided_by: _Optional[str] = ..., rule_set_version: _Optional[str] = ..., catalogue_version: _Optional[str] = ...) -> None: ...

class InspectionFinding(_message.Message):
    __slots__ = ("code", "amount", "name", "finding_id")
    CODE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FINDING_ID_FIELD_NUMBER: _ClassVar[int]
    code: str
    amount: str
    name: str
    finding_id: str
    def __init__(self, code: _Optional[str] = ..., amount: _Optional[str] = ..., name: _Optional[str] = ..., finding_id: _Optional[str] = ...) -> None: ...

class InspectionReported(_message.Message):
    __slots__ = ("inspection_id", "institution_id", "institution_kind", "method", "ended_on", "reported_on", "due_on", "overdue", "findings", "amount", "catalogue_version", "inspectors", "started_on", "reported_at")
    INSPECTION_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_KIND_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    ENDED_ON_FIELD_NUMBER: _ClassVar[int]
    REPORTED_ON_FIELD_NUMBER: _ClassVar[int]
    DUE_ON_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CATALOGUE_VERSION_FIELD_NUMBER: _ClassVar[int]
    INSPECTORS_FIELD_NUMBER: _ClassVar[int]
    STARTED_ON_FIELD_NUMBER: _ClassVar[int]
    REPORTED_AT_FIELD_NUMBER: _ClassVar[int]
    inspection_id: str
    institution_id: str
    institution_kind: str
    method: str
    ended_on: str
    reported_on: str
    due_on: str
    overdue: bool
    findings: _containers.RepeatedCompositeFieldContainer[InspectionFinding]
    amount: str
    catalogue_version: str
    inspectors: _containers.RepeatedScalarFieldContainer[str]
    started_on: str
    reported_at: str
    def __init__(self, inspection_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., institution_kind: _Optional[str] = ..., method: _Optional[str] = ..., ended_on: _Optional[str] = ..., reported_on: _Optional[str] = ..., due_on: _Optional[str] = ..., overdue: _Optional[bool] = ..., findings: _Optional[_Iterable[_Union[InspectionFinding, _Mapping]]] = ..., amount: _Optional[str] = ..., catalogue_version: _Optional[str] = ..., inspectors: _Optional[_Iterable[str]] = ..., started_on: _Optional[str] = ..., reported_at: _Optional[str] = ...) -> None: ...

class RecordSampleCompleted(_message.Message):
    __slots__ = ("sample_id", "institution_id", "population", "sampled", "problems", "rate", "expected_rate", "population_kind", "seed", "completed_at", "institution_kind")
    SAMPLE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_ID_FIELD_NUMBER: _ClassVar[int]
    POPULATION_FIELD_NUMBER: _ClassVar[int]
    SAMPLED_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    RATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_RATE_FIELD_NUMBER: _ClassVar[int]
    POPULATION_KIND_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_KIND_FIELD_NUMBER: _ClassVar[int]
    sample_id: str
    institution_id: str
    population: int
    sampled: int
    problems: int
    rate: str
    expected_rate: str
    population_kind: str
    seed: str
    completed_at: str
    institution_kind: str
    def __init__(self, sample_id: _Optional[str] = ..., institution_id: _Optional[str] = ..., population: _Optional[int] = ..., sampled: _Optional[int] = ..., problems: _Optional[int] = ..., rate: _Optional[str] = ..., expected_rate: _Optional[str] = ..., population_kind: _Optional[str] = ..., seed: _Optional[str] = ..., completed_at: _Optional[str] = ..., institution_kind: _Optional[str] = ...) -> None: ...
