// What the agency supervisor's pages read, as the services answer it (shapes only; every figure, state, due date and
// flag is the API's — the page counts rows by their state and sorts by the API's dates, nothing more).
import type { Application, Case, OperationReport, QuotaStratum, Warning } from '@/api/types'
import { PROGRAMS } from '@/config'

export type { Application, Case, OperationReport, QuotaStratum, Warning }

/** A stored deadline as the services show it (chassis.calendar.deadline_view): a working-day due date, provisional
 *  when worked out on a calendar year the State Council has not published yet. */
export interface Deadline {
  due_on: string
  provisional: boolean
  calendar: string
}

/** A fund operation report (基金运行分析) as audit answers it (GET /v1/operation-reports[/{id}]). */
export interface OpReport extends OperationReport {
  start?: string
  end?: string
  stored_in?: string
  produced_on?: string
  deadline?: Deadline | null
}

export interface WarningView extends Warning {
  description?: string
  detected_on?: string
  issued_at?: string
  source?: string
  deadline?: Deadline | null
}

/** An audit report (月报/季报 and the long-term care, fund supervision kinds) without its figures. */
export interface CarrierReport {
  report_id: string
  kind: string
  period: string
  due_on?: string | null
  produced_on?: string | null
  overdue?: boolean | null
  interim?: boolean | null
  deadline?: Deadline | null
  files: Record<string, { name: string; size: number; content_type: string; sha256?: string }>
}

/** One quota of the long-term care patrols (GET /v1/ltc/patrols/attainment): required, done, met, shortfall. */
export interface QuotaRow {
  required: number
  done: number
  met: boolean
  shortfall?: number
  reason?: { code?: string; detail?: string } | string
  [k: string]: unknown
}

export interface Attainment {
  tenant: string
  quarter: string
  year: number
  services: QuotaRow
  institutions: QuotaRow
  year_to_date: QuotaRow
  status_surveys: QuotaRow
  met: boolean
}

/** One carrier's worklist and clocks, as read with `tenant=`. */
export interface CarrierClocks {
  tenant: string
  applications: Application[]
  cases: Case[]
  overdue: Case[]
  /** the list came back full (the page read at most LIST_LIMIT rows): counts are "at least" */
  truncated: boolean
}

/** The most rows the page reads of one list (the services' own bound, `limit` ≤ 2000). */
export const LIST_LIMIT = 2000

/** The program the supervisor's token names, with its carriers and family (programs as data). */
export function programByCode(code: string) {
  return PROGRAMS.find((p) => p.code === code)
}

/** Rows counted by a key (e.g. the API's `status`), for the per-state columns. */
export function countBy<T>(rows: T[], key: (row: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of rows) {
    const k = key(r)
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

/** The quarter a month falls in, as the patrol endpoints name it ("2026-11" → "2026-Q4"): a query parameter. */
export function quarterOfMonth(month: string): string {
  const m = Number(month.slice(5, 7))
  return `${month.slice(0, 4)}-Q${Math.ceil(m / 3)}`
}

/** A share the API gives as a decimal string ("0.4167") as a percentage for display ("41.67%"); '—' when absent. */
export function percent(share: string | null | undefined): string {
  if (share === null || share === undefined || share === '') return '—'
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(share)
  if (!m) return share
  // Move the decimal point two places on the string itself: no float rounding of the API's figure.
  const digits = (m[3] ?? '').padEnd(2, '0')
  const whole = String(Number(m[2] + digits.slice(0, 2)))
  const rest = digits.slice(2)
  return `${m[1]}${whole}${rest ? `.${rest}` : ''}%`
}

/** Saves bytes the API sent under a file name (an <a download> on an object URL). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}
