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
  // S14-D: the clerk's long-term care worklist and screening (初步筛查), its documents; the satisfaction survey
  ltcList: (query: Q = {}) => call<Record<string, unknown>[]>('intake', 'GET', '/v1/ltc/applications', { query }),
  ltcScreen: (id: string, body: { outcome: string; missing: string[]; note: string }) =>
    call<Record<string, unknown>>('intake', 'POST', '/v1/ltc/applications/{application_id}/screening',
      { path: { application_id: id }, json: body }),
  ltcDocument: (id: string, kind: string) =>
    call<Blob>('intake', 'GET', '/v1/ltc/applications/{application_id}/documents/{kind}',
      { path: { application_id: id, kind }, blob: true }),
  surveyQuestions: () =>
    call<{ program: string; scale: number[]; questions: { code: string; text: string }[] }>(
      'intake', 'GET', '/v1/surveys/questions'),
  answerSurvey: (id: string, body: { answers: Record<string, number>; comment: string }) =>
    call<Record<string, unknown>>('intake', 'POST', '/v1/applications/{application_id}/survey',
      { path: { application_id: id }, json: body }),
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

// ---- appraisal: long-term care disability assessment (失能等级评定); types in src/pages/assessor/ltc.ts ----------
export const ltc = {
  scale: <T>() => call<T>('appraisal', 'GET', '/v1/ltc/scale'),
  assessments: <T>(query: Q = {}) => call<T>('appraisal', 'GET', '/v1/ltc/assessments', { query }),
  assessment: <T>(id: string) =>
    call<T>('appraisal', 'GET', '/v1/ltc/assessments/{assessment_id}', { path: { assessment_id: id } }),
  draw: <T>(id: string) =>
    call<T>('appraisal', 'POST', '/v1/ltc/assessments/{assessment_id}/draw', { path: { assessment_id: id } }),
  visit: <T>(id: string, form: FormData, onProgress?: (f: number) => void) =>
    call<T>('appraisal', 'POST', '/v1/ltc/assessments/{assessment_id}/visit',
      { path: { assessment_id: id }, form, onProgress }),
  evidence: (id: string, evidenceId: string) =>
    call<Blob>('appraisal', 'GET', '/v1/ltc/assessments/{assessment_id}/evidence/{evidence_id}',
      { path: { assessment_id: id, evidence_id: evidenceId }, blob: true }),
  scores: <T>(id: string, body: { assessors: string[]; items: Record<string, number>; disabled_since?: string }) =>
    call<T>('appraisal', 'POST', '/v1/ltc/assessments/{assessment_id}/scores',
      { path: { assessment_id: id }, json: body }),
  notice: <T>(id: string) =>
    call<T>('appraisal', 'GET', '/v1/ltc/assessments/{assessment_id}/notice', { path: { assessment_id: id } }),
  objection: <T>(id: string, reason: string) =>
    call<T>('appraisal', 'POST', '/v1/ltc/assessments/{assessment_id}/objection',
      { path: { assessment_id: id }, json: { reason } }),
  rechecks: <T>(dueBefore: string) => call<T>('appraisal', 'GET', '/v1/ltc/rechecks', { query: { due_before: dueBefore } }),
  openRecheck: <T>(personId: string) =>
    call<T>('appraisal', 'POST', '/v1/ltc/rechecks', { json: { person_id: personId } }),
}

// ---- appraisal: re-reviews (复审), revocation, provincial filing (备案), expert lists; types in pages/reviewer ----
export const reviews = {
  due: <T>(query: Q = {}) => call<T>('appraisal', 'GET', '/v1/reviews/due', { query }),
  scan: <T>() => call<T>('appraisal', 'POST', '/v1/reviews/scan'),
  revoke: <T>(qualificationId: string, reason: string) =>
    call<T>('appraisal', 'POST', '/v1/qualifications/{qualification_id}/revoke',
      { path: { qualification_id: qualificationId }, json: { reason } }),
  filings: <T>(query: Q = {}) => call<T>('appraisal', 'GET', '/v1/filings', { query }),
  retryFiling: <T>(caseId: string) =>
    call<T>('appraisal', 'POST', '/v1/cases/{case_id}/filing/retry', { path: { case_id: caseId } }),
  expertLists: <T>(query: Q = {}) => call<T>('appraisal', 'GET', '/v1/expert-lists', { query }),
  approveList: <T>(listId: string, note: string) =>
    call<T>('appraisal', 'POST', '/v1/expert-lists/{list_id}/approve', { path: { list_id: listId }, json: { note } }),
  rejectList: <T>(listId: string, note: string) =>
    call<T>('appraisal', 'POST', '/v1/expert-lists/{list_id}/reject', { path: { list_id: listId }, json: { note } }),
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
  // finance's account overview, advances (垫付), the year end (年终清算) and the other statement kinds; the answers'
  // shapes are in src/pages/finance/fund.ts (generic T: that file names them)
  fundBalance: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/fund/balance', { query }),
  trialBalance: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/fund/trial-balance', { query }),
  fundReconciliation: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/fund/reconciliation', { query }),
  fundMonthly: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/fund/monthly', { query }),
  advance: <T>(body: Record<string, unknown>) => call<T>('settlement', 'POST', '/v1/fund/advances', { json: body }),
  repay: <T>(id: string, body: Record<string, unknown>) =>
    call<T>('settlement', 'POST', '/v1/fund/advances/{advance_id}/repayments', { path: { advance_id: id }, json: body }),
  fundYear: <T>(year: number, query: Q = {}) =>
    call<T>('settlement', 'GET', '/v1/fund/years/{year}', { path: { year }, query }),
  closeYear: <T>(year: number, body: Record<string, unknown>) =>
    call<T>('settlement', 'POST', '/v1/fund/years/{year}/close', { path: { year }, json: body }),
  serviceFee: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/fund/service-fee', { query }),
  ltcFee: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/fund/ltc-fee', { query }),
  ltcStatements: <T>(month: string) => call<T>('settlement', 'GET', '/v1/ltc/statements', { query: { month } }),
  ltcBuild: <T>(month: string) => call<T>('settlement', 'POST', '/v1/ltc/statements', { json: { month } }),
  ltcStatement: <T>(id: string) =>
    call<T>('settlement', 'GET', '/v1/ltc/statements/{statement_id}', { path: { statement_id: id } }),
  ltcClose: <T>(id: string) =>
    call<T>('settlement', 'POST', '/v1/ltc/statements/{statement_id}/close', { path: { statement_id: id } }),
  ltcPay: <T>(id: string) =>
    call<T>('settlement', 'POST', '/v1/ltc/statements/{statement_id}/payments', { path: { statement_id: id } }),
  ltcFeeStatements: <T>(month: string) =>
    call<T>('settlement', 'GET', '/v1/ltc/assessment-fees/statements', { query: { month } }),
  ltcFeeBuild: <T>(month: string) =>
    call<T>('settlement', 'POST', '/v1/ltc/assessment-fees/statements', { json: { month } }),
  ltcFeePay: <T>(id: string) =>
    call<T>('settlement', 'POST', '/v1/ltc/assessment-fees/statements/{statement_id}/payments',
      { path: { statement_id: id } }),
  personPayables: <T>(query: Q) => call<T>('settlement', 'GET', '/v1/critical/person-payables', { query }),
  payPayable: <T>(id: string) =>
    call<T>('settlement', 'POST', '/v1/critical/person-payables/{payable_id}/payments', { path: { payable_id: id } }),
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

// ---- audit: the inspector's work (抽查, 电话回访, 稽核发现, 现场检查, 长护巡查); bodies as the services name them ------
type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
export const inspect = {
  plans: () => call<Doc[]>('audit', 'GET', '/v1/sampling-plans'),
  createPlan: (body: Doc) => call<Doc>('audit', 'POST', '/v1/sampling-plans', { json: body }),
  tasks: (planId: string, status?: string) =>
    call<Doc[]>('audit', 'GET', '/v1/sampling-plans/{plan_id}/tasks', { path: { plan_id: planId }, query: { status } }),
  taskResult: (taskId: string, body: Doc) =>
    call<Doc>('audit', 'POST', '/v1/inspection-tasks/{task_id}/result', { path: { task_id: taskId }, json: body }),
  callbacks: (query: Q = {}) => call<Doc[]>('audit', 'GET', '/v1/callbacks', { query }),
  createCallbacks: (planId: string) => call<Doc>('audit', 'POST', '/v1/callbacks', { json: { plan_id: planId } }),
  callbackResult: (id: string, body: Doc) =>
    call<Doc>('audit', 'POST', '/v1/callbacks/{callback_id}/result', { path: { callback_id: id }, json: body }),
  raiseFinding: (body: Doc) => call<Doc>('audit', 'POST', '/v1/findings', { json: body }),
  finding: (id: string) => call<Doc>('audit', 'GET', '/v1/findings/{finding_id}', { path: { finding_id: id } }),
  institutions: () => call<Doc>('audit', 'GET', '/v1/supervision/institutions'),
  inspections: (query: Q = {}) => call<Doc>('audit', 'GET', '/v1/supervision/inspections', { query }),
  openInspection: (body: Doc) => call<Doc>('audit', 'POST', '/v1/supervision/inspections', { json: body }),
  inspection: (id: string) =>
    call<Doc>('audit', 'GET', '/v1/supervision/inspections/{inspection_id}', { path: { inspection_id: id } }),
  answerChecklist: (id: string, body: Doc) =>
    call<Doc>('audit', 'POST', '/v1/supervision/inspections/{inspection_id}/checklist',
      { path: { inspection_id: id }, json: body }),
  addEvidence: (id: string, form: FormData, onProgress?: (f: number) => void) =>
    call<Doc>('audit', 'POST', '/v1/supervision/inspections/{inspection_id}/evidence',
      { path: { inspection_id: id }, form, onProgress }),
  evidenceFile: (id: string, evidenceId: string) =>
    call<Blob>('audit', 'GET', '/v1/supervision/inspections/{inspection_id}/evidence/{evidence_id}',
      { path: { inspection_id: id, evidence_id: evidenceId }, blob: true }),
  addFindings: (id: string, findings: Doc[]) =>
    call<Doc>('audit', 'POST', '/v1/supervision/inspections/{inspection_id}/findings',
      { path: { inspection_id: id }, json: { findings } }),
  endInspection: (id: string, endedOn: string) =>
    call<Doc>('audit', 'POST', '/v1/supervision/inspections/{inspection_id}/end',
      { path: { inspection_id: id }, json: { ended_on: endedOn } }),
  fileReport: (id: string, summary: string) =>
    call<Doc>('audit', 'POST', '/v1/supervision/inspections/{inspection_id}/report',
      { path: { inspection_id: id }, json: { summary } }),
  patrolPlans: (year: number) => call<Doc>('audit', 'GET', '/v1/ltc/patrol-plans', { query: { year } }),
  writePatrolPlan: (body: Doc) => call<Doc>('audit', 'POST', '/v1/ltc/patrol-plans', { json: body }),
  patrols: (quarter: string) => call<Doc>('audit', 'GET', '/v1/ltc/patrols', { query: { quarter } }),
  recordPatrol: (body: Doc) => call<Doc>('audit', 'POST', '/v1/ltc/patrols', { json: body }),
  attainment: (quarter: string) => call<Doc>('audit', 'GET', '/v1/ltc/patrols/attainment', { query: { quarter } }),
}

// ---- archive: handover exports and imports (移交), one person's file (一人一档); audit: ops' trail and replays ---------
export const archive = {
  createExport: (body: Doc) => call<Doc>('archive', 'POST', '/v1/exports', { json: body }),
  exports: () => call<Doc[]>('archive', 'GET', '/v1/exports'),
  export: (id: string) => call<Doc>('archive', 'GET', '/v1/exports/{export_id}', { path: { export_id: id } }),
  download: (id: string, expectedBytes: number, onDownload: (received: number, total: number) => void) =>
    call<Blob>('archive', 'GET', '/v1/exports/{export_id}/download',
      { path: { export_id: id }, blob: true, expectedBytes, onDownload }),
  importZip: (zip: Blob, onProgress: (f: number) => void) =>
    call<Doc>('archive', 'POST', '/v1/imports', { body: zip, contentType: 'application/zip', onProgress }),
  importRecord: () => call<Doc>('archive', 'GET', '/v1/imports'),
  // The person id goes in the path (encoded), never in a query string.
  personFile: (personId: string) =>
    call<Doc>('archive', 'GET', '/v1/persons/{person_id}/file', { path: { person_id: personId } }),
}

export const ops = {
  verifyTrail: () => call<Doc>('audit', 'GET', '/v1/trail/verify'),
  anchorTrail: () => call<Doc>('audit', 'POST', '/v1/trail/anchors'),
  replays: (query: Q = {}) => call<Doc>('audit', 'GET', '/v1/dead-letters/replays', { query }),
}

// ---- the agency supervisor (医保经办机构): each carrier of its program, `tenant=` (the services decide which it may
// read: its token's `program` claim); the answers' shapes are in src/pages/supervisor/supervise.ts ----------------
export const supervise = {
  applications: <T>(tenant: string, query: Q = {}) =>
    call<T>('intake', 'GET', '/v1/applications', { query: { ...query, tenant } }),
  cases: <T>(tenant: string, query: Q = {}) => call<T>('appraisal', 'GET', '/v1/cases', { query: { ...query, tenant } }),
  overdue: <T>(tenant: string) => call<T>('appraisal', 'GET', '/v1/alerts/overdue', { query: { tenant } }),
  warnings: <T>(tenant: string) => call<T>('audit', 'GET', '/v1/warnings', { query: { tenant } }),
  issueWarning: <T>(body: Doc) => call<T>('audit', 'POST', '/v1/warnings', { json: body }),
  operationReports: <T>(query: Q = {}) => call<T>('audit', 'GET', '/v1/operation-reports', { query }),
  operationFile: (id: string, name: 'chart' | 'workbook', expectedBytes: number,
                  onDownload: (received: number, total: number) => void) =>
    call<Blob>('audit', 'GET', '/v1/operation-reports/{report_id}/files/{name}',
      { path: { report_id: id, name }, blob: true, expectedBytes, onDownload }),
  reports: <T>(tenant: string) => call<T>('audit', 'GET', '/v1/reports', { query: { tenant } }),
  report: <T>(id: string, tenant: string) =>
    call<T>('audit', 'GET', '/v1/reports/{report_id}', { path: { report_id: id }, query: { tenant } }),
  reportFile: (id: string, tenant: string, file: 'chart' | 'workbook' | 'written_report', expectedBytes: number,
               onDownload: (received: number, total: number) => void) => {
    const opts = { path: { report_id: id }, query: { tenant }, blob: true, expectedBytes, onDownload }
    if (file === 'chart') return call<Blob>('audit', 'GET', '/v1/reports/{report_id}/chart.png', opts)
    if (file === 'workbook') return call<Blob>('audit', 'GET', '/v1/reports/{report_id}/workbook.xlsx', opts)
    return call<Blob>('audit', 'GET', '/v1/reports/{report_id}/written-report.docx', opts)
  },
  attainment: <T>(quarter: string, tenant: string) =>
    call<T>('audit', 'GET', '/v1/ltc/patrols/attainment', { query: { quarter, tenant } }),
}

export type { Answer }
