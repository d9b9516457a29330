// Long-term care disability assessment (失能等级评定) as appraisal answers it (services/appraisal/disability): the
// types of its answers and the calls the assessor's pages make. Nothing is graded here — the scale's items come from
// GET /v1/ltc/scale and the grade, levels, coverage and deadlines from the service's conclusion and notice.
import { ltc } from '@/api/endpoints'

export interface ScaleItem {
  code: string
  name: string
  scores: number[]
}

export interface ScaleIndicator {
  code: string
  name: string
  bands: number[]
  items: ScaleItem[]
}

export interface Scale {
  version: string
  label: string
  sample: boolean
  levels: string[]
  grades: string[]
  indicators: ScaleIndicator[]
}

export interface Draw {
  seed: string
  candidates: string[]
  chosen: string[]
  at: string
  reason: string
  care_institution_id: string
  excluded: string[]
}

export interface Evidence {
  evidence_id: string
  field: string
  kind: 'photo' | 'recording' | string
  filename: string
  content_type: string
  size: number
  sha256: string
}

export interface Visit {
  visited_on: string
  place: string
  present: string[]
  notes: string
  recorded_by?: string
  recorded_at?: string
  evidence: Evidence[]
}

export interface Conclusion {
  grade: number
  grade_name: string
  severe: boolean
  indicators: Record<string, { sum: number; level: number; level_name: string }>
  scale_version: string
  scale_label: string
  sample: boolean
  eligible: boolean
  earliest_on: string | null
  reasons: string[]
  recheck_due: string | null
  assessment_fee: string
  assessors: string[]
  concluded_on: string
  objection_deadline: string
}

export interface Assessment {
  assessment_id: string
  application_id: string
  person_id: string
  kind: 'initial' | 'objection' | 'recheck' | 'migrated' | string
  round: number
  status: 'awaiting_assessors' | 'open' | 'visited' | 'concluded' | string
  awaiting: { code: string; why: string; message: string; at: string; pool: number } | null
  lot: string
  city_level: boolean
  district: string
  basis: string
  disabled_since: string | null
  care_institution_id: string
  insutype: string
  assessors: string[]
  excluded: string[]
  draws: Draw[]
  opened_at: string
  opened_on: string
  visit: Visit | null
  conclusion: Conclusion | null
  objection: { reason: string; at?: string; by?: string } | null
  previous_assessment_id: string | null
  next_assessment_id: string | null
}

export interface Notice {
  notice: string
  assessment_id: string
  application_id: string
  kind: string
  round: number
  grade: number
  grade_name: string
  levels: Record<string, { level: number; level_name: string; sum: number }>
  scale_version: string
  scale_label: string
  sample: boolean
  eligible: boolean
  reasons: string[]
  recheck_due: string | null
  concluded_on: string
  notice_on: string
  objection_days: number
  objection_deadline: string
  objection_allowed: boolean
}

export interface RecheckRow {
  person_id: string
  assessment_id: string
  application_id: string
  grade: number
  grade_name: string
  concluded_on: string
  recheck_due: string
  overdue: boolean
  lot: string
  next_assessment_id: string | null
  next_status: string | null
  notified: boolean
}

export const STATUSES = ['awaiting_assessors', 'open', 'visited', 'concluded'] as const
export const KINDS = ['initial', 'objection', 'recheck', 'migrated'] as const
/** Who may be there besides the pair and the person (the visit's `present`, free text the API keeps). */
export const PRESENT = ['family', 'caregiver', 'institution_staff', 'community_worker'] as const

export const scale = () => ltc.scale<Scale>()
export const assessments = (query: Record<string, string | number | undefined>) => ltc.assessments<Assessment[]>(query)
export const assessment = (id: string) => ltc.assessment<Assessment>(id)
export const draw = (id: string) => ltc.draw<Assessment>(id)
export const recordVisit = (id: string, form: FormData, onProgress: (f: number) => void) =>
  ltc.visit<Assessment>(id, form, onProgress)
export const score = (id: string, body: { assessors: string[]; items: Record<string, number>; disabled_since?: string }) =>
  ltc.scores<Assessment>(id, body)
export const notice = (id: string) => ltc.notice<Notice>(id)
export const object = (id: string, reason: string) => ltc.objection<Record<string, unknown>>(id, reason)
export const rechecks = (dueBefore: string) => ltc.rechecks<{ due_before: string; rechecks: RecheckRow[] }>(dueBefore)
export const openRecheck = (personId: string) => ltc.openRecheck<Assessment>(personId)
export const evidence = (id: string, evidenceId: string) => ltc.evidence(id, evidenceId)
