// The dedicated account's answers (专户) as settlement gives them (services/settlement/fund/api.py): balances, trial
// balance, reconciliation with its advances (垫付), the fund year and its year end (年终清算) with each amount's
// reasons, the service fee. Amounts are decimal strings: shown, never computed on.
import type { ReasonCode } from '@/api/types'
import { session } from '@/auth'
import { programOfTenant } from '@/config'

export interface BalanceAnswer {
  tenant: string
  program: string
  year: number
  status: string
  on: string | null
  entries: number
  balances: Record<string, string>
  advances_outstanding: string
}

export interface TrialBalance {
  tenant: string
  year: number
  rows: { account: string; name?: string; debit: string; credit: string }[]
  total_debit: string
  total_credit: string
  balanced: boolean
}

export interface AdvanceRow {
  advance_id: string
  date: string
  amount: string
  outstanding: string
}

export interface FundReconciliation {
  tenant: string
  program: string
  year: number
  allocations: { allocation_id: string; kind: string; date: string; agency_amount: string; expected: string;
    received: string; matches: boolean }[]
  allocations_received: string
  allocations_expected: string
  payments: { payment_id: string; statement_id: string | null; amount: string | null; booked: string | null;
    matches: boolean }[]
  statements_paid: string
  payments_booked: string
  advances: AdvanceRow[]
  advances_outstanding: string
  interest: string
  balanced: boolean
}

export interface MonthlyFunding {
  months: Record<string, unknown>[]
}

export interface PostedEntry {
  entry_id: string
  date: string
  kind: string
  amount: string
  memo: string
  replayed: boolean
}

/** A fund year: `open`/`closing`, or `closed` with its method, result (the program's) and this account's part. */
export interface FundYear {
  tenant: string
  program: string
  year: number
  status: string
  method?: string
  date?: string
  closed_at?: string
  closed_by?: string
  entry_id?: string | null
  result?: Record<string, unknown> | null
  account?: Record<string, unknown> | null
}

export interface ServiceFee {
  tenant: string
  year: number
  total_reimbursement: string
  total_reimbursement_reason: string
  total_reimbursement_reason_codes: ReasonCode[]
  fee: string
  uncapped: string
  base: string
  performance_max: string
  performance: string
  payable: string
  reasons: string[]
  reason_codes: ReasonCode[]
}

/** The program's year-end method (finance.year_end of program.yaml is the service's: read from the close's answer);
 * here only whether the caller's tenant is a long-term care lot (its fee is /v1/fund/ltc-fee). */
export function isLtc(): boolean {
  return programOfTenant(session.claims?.tenant ?? '')?.family === 'ltc'
}

export function isCritical(): boolean {
  return programOfTenant(session.claims?.tenant ?? '')?.family === 'critical'
}

/** An id that makes a posting idempotent (the service's `advance_id`, `repayment_id`): 1–64 letters, digits, . _ - */
export function newId(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 14)
  return `${prefix}-${stamp}-${Math.random().toString(36).slice(2, 6)}`
}

/** Today in China (the platform's business day), YYYY-MM-DD: a default for a value date, the service checks it. */
export function todayCn(): string {
  return new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' })
}

/** The amounts of an answer's object, as shown: every string field but reasons and codes (labels come from i18n or
 * the key itself). */
export function amountsOf(o: Record<string, unknown> | null | undefined): [string, string][] {
  if (!o) return []
  return Object.entries(o).filter(([k, v]) => typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && !k.endsWith('_id'))
    .map(([k, v]) => [k, v as string])
}

/** Reason codes found anywhere in an answer object (`reason_codes`, `*_reason_codes`), in order, with their key. */
export function reasonsOf(o: Record<string, unknown> | null | undefined): { key: string; reasons: ReasonCode[] }[] {
  if (!o) return []
  const out: { key: string; reasons: ReasonCode[] }[] = []
  for (const [k, v] of Object.entries(o)) {
    if (k.endsWith('reason_codes') && Array.isArray(v)) out.push({ key: k, reasons: v as ReasonCode[] })
  }
  return out
}
