// Re-reviews (复审), revocations (撤销), provincial filings (备案) and expert list versions (专家库备案) as appraisal
// answers them (services/appraisal/reviews, filing, experts): their types and the calls the reviewer's pages make.
import { reviews } from '@/api/endpoints'

export interface DueRow {
  qualification_id: string
  person_id: string
  person_name: string | null
  disease_code: string
  review_due: string
  notified: boolean
  overdue: boolean
}

export interface FilingRow {
  case_id: string
  qualification_id: string | null
  person_id: string
  disease_code: string
  filing_status: string | null
  filing_serial: string
  attempts: number
  error: string
}

export interface ExpertList {
  list_id: string
  program: string
  status: 'pending' | 'approved' | 'rejected' | 'superseded' | string
  experts: number
  expert_ids: string[]
  digest: string
  submitted_at: string
  submitted_by: string
  decided_at: string | null
  decided_by: string | null
  note: string | null
  superseded_by: string | null
}

export const FILING_STATUSES = ['pending', 'filed', 'failed', 'rejected', 'renewing', 'revoking', 'revoked',
  'cancelled'] as const
/** What the filing door retries (services/appraisal/filing: a failed or refused step). */
export const RETRYABLE = new Set(['failed', 'rejected'])
export const LIST_STATUSES = ['pending', 'approved', 'rejected', 'superseded'] as const

export const due = (on: string, withinDays: number) =>
  reviews.due<DueRow[]>({ on: on || undefined, within_days: withinDays })
/** The notice scan as of the service's business day (the door's default `on`). */
export const scan = () => reviews.scan<{ raised: number }>()
export const revoke = (qualificationId: string, reason: string) =>
  reviews.revoke<Record<string, unknown>>(qualificationId, reason)
export const filings = (status: string) => reviews.filings<FilingRow[]>({ status: status || undefined })
export const retry = (caseId: string) => reviews.retryFiling<Record<string, unknown>>(caseId)
export const expertLists = (status: string) => reviews.expertLists<ExpertList[]>({ status: status || undefined })
export const approve = (listId: string, note: string) => reviews.approveList<ExpertList>(listId, note)
export const reject = (listId: string, note: string) => reviews.rejectList<ExpertList>(listId, note)
