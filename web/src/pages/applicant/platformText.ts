// The platform's own sentences in the person's language. The services answer each timeline step with a stable code
// (`event`) and its values (`params`) beside an English `note`, and reasons as codes with params; the page says them
// through vue-i18n and shows the API's text only for what it has no sentence for (a clerk's note, the experts'
// reason, a step stored before the codes existed). Nothing is decided here: every value is the service's.
import { useI18n } from 'vue-i18n'
import type { ReasonCode, TimelineEntry } from '@/api/types'

/** What the page knows of the application beside the entry: its channel, disease names by code. */
export interface NoteContext {
  channel?: string
  diseaseNames?: Record<string, string>
}

// Steps whose note is a person's own words (the clerk's note, the experts' or a revocation's reason): shown as
// written — their reasons come as codes beside them (reason_codes).
const WRITTEN_BY_A_PERSON = new Set(['review_completed', 'documents_requested', 'review_refused', 'screening_accepted',
  'screening_rejected', 'appraisal_concluded', 'review_concluded', 'qualification_revoked'])

export function usePlatformText() {
  const { t, te } = useI18n()

  function docName(kind: string): string {
    return te(`docKinds.${kind}`) ? t(`docKinds.${kind}`) : kind
  }
  /** Document kinds (an array, or the API's comma-separated list) by their names. */
  function docNames(kinds: string[] | string | undefined): string {
    const list = Array.isArray(kinds) ? kinds : (kinds ?? '').split(/[,、]\s*/)
    return list.map((k) => k.trim()).filter(Boolean).map(docName).join('、')
  }
  function diseaseName(code: string, names?: Record<string, string>): string {
    return names?.[code] ? `${names[code]}（${code}）` : code
  }

  /** A reason code's sentence with its params; the API's detail for a code this page has no sentence for. */
  function reasonText(r: ReasonCode): string {
    const key = `applicant.platform.reasons.${r.code}`
    if (!te(key)) return r.detail
    const p = r.params ?? {}
    const insutype = p.insutype && te(`ltc.insutypes.${p.insutype}`) ? t(`ltc.insutypes.${p.insutype}`) : p.insutype ?? ''
    return t(key, { ...p, detail: r.detail, missing: docNames(p.missing), required: docNames(p.required),
      reasons: p.reasons ?? '', insutype })
  }

  /** A step's sentence from its code and params; null when the page has none for the code. */
  function eventText(e: TimelineEntry): string | null {
    const p = e.params ?? {}
    const kinds = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [])
    const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v))
    switch (e.event) {
      case 'submitted': {
        const parts = [t('applicant.platform.submittedVia', { channel: t(`channel.${str(p.channel)}`) })]
        if (p.lot) parts.push(t('applicant.platform.lot', { lot: str(p.lot) }))
        if (kinds(p.missing).length) parts.push(t('applicant.platform.stillMissing', { kinds: docNames(kinds(p.missing)) }))
        return parts.join('；')
      }
      case 'documents_added': {
        const added = kinds(p.kinds)
        const parts = [added.length ? t('applicant.platform.addedKinds', { n: str(p.count), kinds: docNames(added) })
          : t('applicant.platform.added', { n: str(p.count) })]
        const still = kinds(p.still_missing)
        if (still.length) parts.push(t('applicant.platform.stillMissing', { kinds: docNames(still) }))
        return parts.join('；')
      }
      case 'experts_appointed': return t('applicant.platform.expertsAppointed')
      case 'benefits_granted': return t('applicant.platform.benefitsFrom', { date: str(p.benefit_start) })
      case 'qualification_filed': return t('applicant.platform.filing', { serial: str(p.filing_serial) })
      case 'review_due': return t('applicant.platform.reviewDue', { date: str(p.due_on) })
      case 'benefits_renewed':
        return p.review_due ? t('applicant.platform.renewed', { date: str(p.review_due) })
          : t('applicant.platform.renewedNoDue')
      case 'not_insured': {
        // 1101's words travel only in the (sealed) reason, never in the step's params.
        const error = e.reason_codes?.find((r) => r.code === 'not_insured')?.params?.error
        return error ? t('applicant.platform.notInsured', { error }) : t('applicant.platform.notInsuredPlain')
      }
      case 'assessors_drawn': return t('applicant.platform.assessorsDrawn', { round: str(p.round) })
      case 'assessment_concluded':
        return t(p.eligible ? 'applicant.platform.concludedEligible' : 'applicant.platform.concludedNot',
          { grade: str(p.grade_name || p.grade) })
      default: return null
    }
  }

  /** A timeline step's note in the person's language: the platform's steps from their code and params, a person's
   *  words (the clerk's note, the experts' reason) as written, a step without a code (stored before the codes) by its
   *  note. Empty when the note only repeats the step's status. */
  function noteText(e: TimelineEntry, ctx: NoteContext = {}): string {
    const raw = (e.note ?? '').trim()
    let text: string
    if (e.event && !WRITTEN_BY_A_PERSON.has(e.event)) {
      text = eventText(e) ?? raw
    } else {
      // A person's words, or an entry from before the codes: as written, the disease prefix its own.
      text = raw === e.label ? '' : raw
      const disease = e.params?.disease
      if (disease && text.startsWith(`${disease}: `)) text = text.slice(String(disease).length + 2)
    }
    const disease = e.params?.disease
    if (disease && text) return `${diseaseName(String(disease), ctx.diseaseNames)}：${text}`
    return text
  }

  /** A notification as sent (the SMS text), its document kinds and disease codes shown by their names. */
  function notificationText(text: string, diseaseNames?: Record<string, string>): string {
    let out = text.replace(/\b([a-z]+(?:_[a-z]+)+|other)\b/g, (k) => (te(`docKinds.${k}`) ? t(`docKinds.${k}`) : k))
    if (diseaseNames) {
      out = out.replace(/\b([A-Z][A-Z0-9]{1,15})\b/g, (c) => (diseaseNames[c] ? `${diseaseNames[c]}（${c}）` : c))
    }
    return out
  }

  return { docName, docNames, diseaseName, reasonText, noteText, notificationText }
}
