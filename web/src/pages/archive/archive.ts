// The handover room (移交) and the person file room (一人一档) as the pages read them: the archive service's answers,
// typed as it gives them (services/archive/handover/service.py `export_view`, person_files/domain/person_file.py
// `file_view`, accesses/domain/access_record.py `access_view`), and the few things a page does around them.
import { archive } from '@/api/endpoints'
import { ApiError } from '@/api/http'

/** Who may hand a program's archive over, and who may take one in (handover/api.py EXPORTERS, IMPORTERS). */
export const EXPORTERS = ['supervisor', 'ops', 'clerk']
export const IMPORTERS = ['ops']
/** Who reads a person's file at a workbench (person_files/service.py READERS; the applicant reads their own). */
export const FILE_READERS = ['clerk', 'reviewer', 'inspector', 'supervisor', 'ops']

export interface ExportSelection {
  scope?: string
  period?: string | null
  person_id?: string | null
  [k: string]: unknown
}

export interface HandoverExport {
  export_id: string
  program: string
  tenant: string
  produced_at: string
  produced_by: { role: string; subject: string }
  persons: number
  entries: number
  by_kind: Record<string, number>
  sha256: string
  size: number
  manifest_sha256?: string | null
  selection: ExportSelection | null
}

export interface ImportRecord {
  import_id: string
  status: string
  started_at: string
  finished_at?: string
  export_id: string
  from_tenant: string
  program: string
  export_sha256: string
  persons: number
  entries: number
  imported_by: { role: string; subject: string }
}

export interface FileEntry {
  entry_id: string
  kind: string
  title: string
  occurred_at: string
  attributes: Record<string, string>
  source_event_id: string
}

export interface FileAccess {
  access_id: string
  who: string
  role: string
  when: string
  what: { kind: string; id: string }
  action: string
  service: string
  channel: string
  trace_id: string
}

export interface Qualification {
  qualification_id: string
  disease_code: string
  status: string
  granted_on: string
  benefit_start: string
  filing_serial: string
  revoked_on: string
  review_due: string
  reviews: Record<string, string>[]
}

export interface PersonFile {
  person_id: string
  summary: {
    identity: Record<string, string>
    qualifications: Qualification[]
    benefits_received: { claimed: string; payable: string; settlements: number }
    documents: Record<string, number>
    counts: Record<string, number>
    long_term_care?: Record<string, unknown>
  }
  entries: FileEntry[]
  accesses: FileAccess[]
  accesses_total: number
}

/** An export's record, asked again with a polite backoff (1 s, 2 s, 4 s … at most 10 s) until it is there with its
 *  checksum: the archive answers the POST once the zip is kept, so the first read normally finds it done; a
 *  record not yet readable (404) is asked again, any other error ends the wait. `stop()` ends it early. */
export function pollExport(id: string, onTry: (attempt: number) => void): { done: Promise<HandoverExport>; stop: () => void } {
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined
  const done = new Promise<HandoverExport>((resolve, reject) => {
    let attempt = 0
    const tryOnce = async (): Promise<void> => {
      if (stopped) return
      attempt += 1
      onTry(attempt)
      try {
        const x = (await archive.export(id)).data as HandoverExport
        if (x.sha256) {
          resolve(x)
          return
        }
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404) || attempt >= 8) {
          reject(e)
          return
        }
      }
      if (attempt >= 8) {
        reject(new Error(`export ${id} not ready`))
        return
      }
      timer = setTimeout(tryOnce, Math.min(10_000, 1000 * 2 ** (attempt - 1)))
    }
    void tryOnce()
  })
  return {
    done,
    stop: () => {
      stopped = true
      if (timer) clearTimeout(timer)
    },
  }
}

/** Hands bytes to the browser as a file the person saves (a temporary object URL, released right after). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** The problems an import was refused for, one a row, as the API lists them (`error.fields`: field + message). */
export function importProblems(e: unknown): { field: string; message: string }[] {
  if (!(e instanceof ApiError)) return []
  return (e.body.fields ?? []).map((f) => ({ field: f.field, message: f.message }))
}
