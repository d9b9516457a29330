// A long-term care application (长护险失能评定申请) as intake answers it (services/intake/care_applications/service.py
// `view`): read by the applicant's pages and the clerk's screening page.
import type { Deadline, DocumentRef, ReasonCode, TimelineEntry } from '@/api/types'

export interface CareScreening {
  outcome: string
  status: string
  by: string
  at: string
  on: string
  note: string
  reason_codes: ReasonCode[]
  due_on: string | null
  late: boolean
}

export interface CareAssessment {
  assessment_id: string
  round: number
  kind: string
  grade?: string | number
  grade_name?: string
  eligible?: boolean
  concluded_at?: string
  recheck_due?: string
}

export interface CareApplication {
  application_id: string
  tenant: string
  person_id: string
  birth_date: string
  phone: string | null
  district: string
  lot: string
  city_level: boolean
  channel: string
  agent: { name: string; phone: string; relation: string } | null
  basis: string
  insutype: string
  disabled_since: string | null
  care_institution_id: string | null
  applied_on: string
  submitted_at: string
  status: string
  status_label: string
  filed_by?: { role: string; subject: string }
  required_documents: string[]
  missing: string[]
  documents: DocumentRef[]
  complete_on: string | null
  due_on: string | null
  deadline: Deadline | null
  overdue: boolean
  screenings: CareScreening[]
  reason_codes?: ReasonCode[]
  assessment?: CareAssessment
  timeline: TimelineEntry[]
}

/** The document kinds a long-term care application takes (care_applications/domain/filing.py DOCUMENT_KINDS). */
export const CARE_DOCUMENT_KINDS = ['id_card', 'medical_records', 'agent_authorization', 'other']
