// The shapes the pages read, as the services answer them (their OpenAPI documents type most answers as objects;
// these follow the answers themselves). Amounts are decimal strings in yuan: formatted, never computed on.

export interface ReasonCode {
  code: string
  detail: string
  params?: Record<string, string>
}

export interface Deadline {
  due_on: string
  provisional?: boolean
  calendar?: string
  working_days?: number
  basis?: string
}

export interface DocumentRef {
  document_id: string
  kind: string
  filename?: string
  content_type?: string
  size?: number
  sha256?: string
}

export interface TimelineEntry {
  status: string
  label: string
  at: string
  note: string
  /** The step's stable code (services/intake TIMELINE_EVENTS) and its values; absent on steps stored before them. */
  event?: string | null
  params?: Record<string, unknown> | null
  reason_codes?: ReasonCode[]
}

export interface Application {
  application_id: string
  person_id: string
  person_name: string
  disease_code: string
  diseases: string[]
  channel: string
  program: string
  kind: string
  qualification_id: string | null
  disease_status: Record<string, string>
  status: string
  submitted_at: string
  filed_by?: { role: string; subject: string }
  treating_hospital?: string
  insurance?: { checked?: boolean; insured?: boolean; insutype?: string; error?: string } | null
  missing: string[]
  documents: DocumentRef[]
  timeline: TimelineEntry[]
  reason_codes?: ReasonCode[]
  district?: string
  district_name?: string
}

export interface Timeline {
  application_id: string
  status: string
  timeline: TimelineEntry[]
}

export interface Checklist {
  program: string
  disease: string
  diseases: string[]
  name: string
  required_documents: string[]
}

export interface PolicyDisease {
  code: string
  name: string
  category?: string
  required_documents?: string[]
}

export interface Policy {
  program: string
  version: string
  label?: string
  diseases: PolicyDisease[]
}

export interface Notification {
  notification_id: string
  template: string
  text: string
  channel: string
  at: string
  status: string
}

export interface Complaint {
  complaint_id: string
  kind: string
  subject: string
  detail?: string
  status: string
  filed_on: string
  due_on: string
  overdue: boolean
  deadline?: Deadline
  resolution: null | { resolution?: string; resolved_on?: string; [k: string]: unknown }
}

export interface Opinion {
  expert_id: string
  approve: boolean
  comment: string
  given_at: string
}

export interface Qualification {
  qualification_id: string
  disease_code: string
  granted_on: string
  benefit_start: string
  status: string
  review_due?: string
  filing_serial?: string
  policy_version?: string
}

export interface Case {
  case_id: string
  application_id: string
  person_id: string
  person_name: string
  disease_code: string
  program: string
  status: string
  kind: string
  opened_at: string
  opinions: Opinion[]
  assigned: string[]
  opinions_required: number
  due_on: string
  clock_from?: string
  deadline?: Deadline
  overdue: boolean
  awaiting?: string | null
  specialty?: string
  recommended?: string | null
  filing_status?: string
  filing_error?: string
  conclusion?: null | { outcome: string; reason: string; concluded_on?: string; reason_codes?: ReasonCode[] }
  qualification?: Qualification | null
  documents: DocumentRef[]
}

export interface Reconciliation {
  balanced: boolean
  result?: string
  description?: string
  [k: string]: unknown
}

export interface Statement {
  statement_id: string
  institution_code: string
  month: string
  status: string
  claimed: string
  payable: string
  patient_pays?: string
  claims?: number
  persons?: number
  lines?: number
  settlement_deadline?: string
  overdue?: boolean
  deadline?: Deadline
  reconciliation?: Reconciliation | null
  payment_id?: string | null
  refused?: string
  held?: string
  held_lines?: number
  supplementary?: boolean
  groups?: { insutype: string; clr_type: string; claims: number; claimed: string; payable: string }[]
  reason_codes?: ReasonCode[]
}

export interface StatementList {
  month: string
  statements: Statement[]
}

export interface FundAccount {
  tenant: string
  program: string
  program_name?: string
  year: number
  status: string
  entries: number
  balances: Record<string, string>
  advances_outstanding: string
  share?: string
}

export interface ChartAccount {
  account: string
  name: string
  type: string
  normal: string
}

export interface FundAccounts {
  accounts: FundAccount[]
  chart: ChartAccount[]
}

export interface LedgerEntry {
  entry_id: string
  date: string
  kind: string
  memo: string
  amount: string
  postings: { account: string; debit: string; credit: string }[]
  reverses?: string
  reference?: string
  seq: number
  balances_after?: Record<string, string>
}

export interface Ledger {
  tenant: string
  program: string
  year: number
  entries: LedgerEntry[]
}

export interface Budget {
  tenant: string
  year: number
  amount: string | null
  source: string
  reason_codes?: ReasonCode[]
}

export interface CriticalReview {
  review_id: string
  claim_id: string
  person_id: string
  year: number
  stratum: string
  why: string
  status: string
  institution_code: string
  total_cost: string
  paid: string
  outcome?: string | null
  recovered?: string | null
  note?: string
  opened_at: string
  completed_at?: string | null
  reason_codes?: ReasonCode[]
}

export interface QuotaStratum {
  stratum: string
  ratio: string
  unit: string
  population: number
  selected: number
  reviewed: number
  required: number
  selection_met: boolean
  met: boolean
}

export interface ReviewHit {
  hit_id: string
  rule: string
  state: string
  source: string
  institution_id: string
  month: string
  claim_id: string
  amount: string
  reason: string
  found_at: string
  held_line_ids?: string[]
  lines?: { line_id: string; amount: string; date?: string }[]
  decision?: null | { decision: string; note: string; [k: string]: unknown }
}

export interface Warning {
  warning_id: string
  status: string
  due_on?: string
  overdue?: boolean
  subject?: string
  kind?: string
  [k: string]: unknown
}

export interface SpendingBucket {
  payable: string
  cost: string
  claims: number
  persons: number
  per_capita: string | null
}

export interface OperationFigures {
  tenant: string
  program: string
  period: string
  spending: SpendingBucket & { by_month?: Record<string, SpendingBucket>; by_institution?: Record<string, SpendingBucket> }
  budget: {
    year: number
    budget: string | null
    spent_to_date: string
    allocated_to_date: string
    elapsed_share: string
    spent_share: string | null
    burn_ratio: string | null
    ahead_of_time: boolean | null
    reasons: string[]
  }
}

export interface OperationReport {
  report_id: string
  kind: string
  period: string
  scope?: string
  program?: string
  tenants?: string[]
  due_on?: string
  overdue?: boolean
  produced_at?: string
  files?: Record<string, { name: string; size: number; content_type: string }>
  figures?: { by_tenant: Record<string, OperationFigures>; total: OperationFigures }
}

export interface TrailEntry {
  event_id: string
  type: string
  business_key: string
  occurred_at: string
  source: string
  trace_id: string
  seq: number
}
