// Every route the web app calls, one function each, named as the services' OpenAPI documents name them
// (`npm run check-routes` checks each template below against src/api/openapi/<service>.json).
import { call, type Answer, type RequestOptions } from '@/api/http'
import type {
  Application, Budget, Case, Checklist, Complaint, CriticalReview, FundAccounts, Ledger, Notification,
  OperationReport, Policy, QuotaStratum, ReviewHit, Statement, StatementList, Timeline, TrailEntry, Warning,
} from '@/api/types'

type Q = RequestOptions['query']

// ---- intake: applications (申请受理), notifications, complaints -------------------------------------------------
export const intake = {
  checklist: (program: string, disease: string) =>
    call<Checklist>('intake', 'GET', '/v1/programs/{program}/checklist/{disease}', { path: { program, disease } }),
  submit: (form: FormData, onProgress?: (f: number) => void) =>
    call<Application>('intake', 'POST', '/v1/applications', { form, onProgress }),
  applications: (query: Q = {}) => call<Application[]>('intake', 'GET', '/v1/applications', { query }),
  application: (id: string) =>
    call<Application>('intake', 'GET', '/v1/applications/{application_id}', { path: { application_id: id } }),
  timeline: (id: string) =>
    call<Timeline>('intake', 'GET', '/v1/applications/{application_id}/timeline', { path: { application_id: id } }),
  review: (id: string, body: { decision: string; missing?: string[]; note?: string }) =>
    call<Application>('intake', 'POST', '/v1/applications/{application_id}/review',
      { path: { application_id: id }, json: body }),
  addDocuments: (id: string, form: FormData, onProgress?: (f: number) => void) =>
    call<Application>('intake', 'POST', '/v1/applications/{application_id}/documents',
      { path: { application_id: id }, form, onProgress }),
  document: (id: string, documentId: string) =>
    call<Blob>('intake', 'GET', '/v1/applications/{application_id}/documents/{document_id}',
      { path: { application_id: id, document_id: documentId }, blob: true }),
  notifications: () => call<Notification[]>('intake', 'GET', '/v1/notifications', { query: { limit: 50 } }),
  fileComplaint: (body: Record<string, unknown>) => call<Complaint>('intake', 'POST', '/v1/complaints', { json: body }),
  complaints: (query: Q = {}) => call<Complaint[]>('intake', 'GET', '/v1/complaints', { query }),
  resolveComplaint: (id: string, resolution: string) =>
    call<Complaint>('intake', 'POST', '/v1/complaints/{complaint_id}/resolve',
      { path: { complaint_id: id }, json: { resolution } }),
  ltcApply: (form: FormData, onProgress?: (f: number) => void) =>
    call<Record<string, unknown>>('intake', 'POST', '/v1/ltc/applications', { form, onProgress }),
  ltcApplications: () => call<Record<string, unknown>[]>('intake', 'GET', '/v1/ltc/applications'),
  ltcApplication: (id: string) =>
    call<Record<string, unknown>>('intake', 'GET', '/v1/ltc/applications/{application_id}',
      { path: { application_id: id } }),
  ltcTimeline: (id: string) =>
    call<Timeline>('intake', 'GET', '/v1/ltc/applications/{application_id}/timeline', { path: { application_id: id } }),
  ltcAddDocuments: (id: string, form: FormData, onProgress?: (f: number) => void) =>
    call<Record<string, unknown>>('intake', 'POST', '/v1/ltc/applications/{application_id}/documents',
      { path: { application_id: id }, form, onProgress }),
}

// ---- appraisal: cases (鉴定), opinions, conclusions --------------------------------------------------------------
export const appraisal = {
  cases: (query: Q = {}) => call<Case[]>('appraisal', 'GET', '/v1/cases', { query }),
  case: (id: string) => call<Case>('appraisal', 'GET', '/v1/cases/{case_id}', { path: { case_id: id } }),
  overdue: () => call<Case[]>('appraisal', 'GET', '/v1/alerts/overdue'),
  draw: (id: string) => call<Case>('appraisal', 'POST', '/v1/cases/{case_id}/draw', { path: { case_id: id } }),
  opinion: (id: string, body: { approve: boolean; comment: string }) =>
    call<Record<string, unknown>>('appraisal', 'POST', '/v1/cases/{case_id}/opinions',
      { path: { case_id: id }, json: body }),
  conclude: (id: string, body: { outcome: string; reason: string }) =>
    call<Case>('appraisal', 'POST', '/v1/cases/{case_id}/conclusion', { path: { case_id: id }, json: body }),
}

export type Step = 'close' | 'reconcile' | 'payments'
const STEPS: Record<Step, string> = {
  close: '/v1/statements/{statement_id}/close',
  reconcile: '/v1/statements/{statement_id}/reconcile',
  payments: '/v1/statements/{statement_id}/payments',
}
const CI_STEPS: Record<Step, string> = {
  close: '/v1/critical/statements/{statement_id}/close',
  reconcile: '/v1/critical/statements/{statement_id}/reconcile',
  payments: '/v1/critical/statements/{statement_id}/payments',
}

// ---- settlement: policies, statements (结算单), critical illness, the dedicated account (专户) ------------------
export const settlement = {
  policy: (program: string) =>
    call<Policy>('settlement', 'GET', '/v1/policies/{program}', { path: { program } }),
  statements: (month: string) =>
    call<StatementList>('settlement', 'GET', '/v1/statements', { query: { month } }),
  statement: (id: string) =>
    call<Statement>('settlement', 'GET', '/v1/statements/{statement_id}', { path: { statement_id: id } }),
  statementStep: (id: string, step: Step) =>
    call<Statement>('settlement', 'POST', STEPS[step], { path: { statement_id: id } }),
  ciStatements: (month: string) =>
    call<StatementList>('settlement', 'GET', '/v1/critical/statements', { query: { month } }),
  ciStatement: (id: string) =>
    call<Statement>('settlement', 'GET', '/v1/critical/statements/{statement_id}', { path: { statement_id: id } }),
  ciStatementStep: (id: string, step: Step) =>
    call<Statement>('settlement', 'POST', CI_STEPS[step], { path: { statement_id: id } }),
  ciReviews: (query: Q) =>
    call<{ reviews: CriticalReview[] }>('settlement', 'GET', '/v1/critical/reviews', { query }),
  ciOutcome: (id: string, body: { outcome: string; recovered: string; note: string }) =>
    call<CriticalReview>('settlement', 'POST', '/v1/critical/reviews/{review_id}/outcome',
      { path: { review_id: id }, json: body }),
  ciQuotas: (year: number) =>
    call<{ year: number; strata: QuotaStratum[] }>('settlement', 'GET', '/v1/critical/quotas', { query: { year } }),
  accounts: (year?: number) => call<FundAccounts>('settlement', 'GET', '/v1/fund/accounts', { query: { year } }),
  ledger: (year: number, tenant?: string) =>
    call<Ledger>('settlement', 'GET', '/v1/fund/ledger', { query: { year, tenant } }),
  budget: (year: number, tenant?: string) =>
    call<Budget>('settlement', 'GET', '/v1/fund/budgets/{year}', { path: { year }, query: { tenant } }),
}

// ---- audit: smart review (智能审核), warnings, operation reports, the trail -------------------------------------
export const audit = {
  hits: (query: Q) => call<{ hits: ReviewHit[]; next_after: string | null }>('audit', 'GET', '/v1/review/hits', { query }),
  hit: (id: string) => call<ReviewHit>('audit', 'GET', '/v1/review/hits/{hit_id}', { path: { hit_id: id } }),
  decide: (id: string, body: { decision: 'confirm' | 'dismiss'; note: string }) =>
    call<ReviewHit>('audit', 'POST', '/v1/review/hits/{hit_id}/decision', { path: { hit_id: id }, json: body }),
  warnings: () => call<Warning[]>('audit', 'GET', '/v1/warnings'),
  findings: () => call<Record<string, unknown>[]>('audit', 'GET', '/v1/findings'),
  samplingPlans: () => call<Record<string, unknown>[]>('audit', 'GET', '/v1/sampling-plans'),
  operationReports: () => call<OperationReport[]>('audit', 'GET', '/v1/operation-reports'),
  operationReport: (id: string) =>
    call<OperationReport>('audit', 'GET', '/v1/operation-reports/{report_id}', { path: { report_id: id } }),
  produceOperationReport: (body: { kind: string; period: string }) =>
    call<OperationReport>('audit', 'POST', '/v1/operation-reports', { json: body }),
  operationReportFile: (id: string, name: 'chart' | 'workbook') =>
    call<Blob>('audit', 'GET', '/v1/operation-reports/{report_id}/files/{name}',
      { path: { report_id: id, name }, blob: true }),
  trail: (query: Q) => call<{ entries: TrailEntry[] }>('audit', 'GET', '/v1/trail', { query }),
}

export type { Answer }
