// The one way the app talks to the platform: `/api/<service>/<path>` on its own origin (the gateway passes it on),
// with `Authorization: Bearer <access token>`. Every answer's `x-trace-id` is kept (the footer shows the last one);
// an error answer becomes an ApiError carrying the API's own `error` body (code, message, field(s), params).
import { reactive } from 'vue'
import { session } from '@/auth'

export type Service = 'intake' | 'appraisal' | 'settlement' | 'audit' | 'archive'

export interface ErrorField {
  field: string
  message: string
}

export interface ErrorBody {
  code: string
  message: string
  detail?: string
  field?: string
  fields?: ErrorField[]
  params?: Record<string, string>
}

/** The last API answer's trace (页脚显示的追踪号) and what it answered. */
export const trace = reactive({ last: '', method: '', path: '', status: 0 })

/** One answer this tab received: its trace and the route (the template, never the filled path or query: no ids,
 *  no personal data), newest first in `recentTraces`; kept in the tab's sessionStorage across reloads. */
export interface TracedAnswer {
  traceId: string
  method: string
  path: string
  status: number
  at: string
}

const RECENT_KEY = 'jingban.recentTraces'
const RECENT_MAX = 50

function loadRecent(): TracedAnswer[] {
  try {
    const kept = JSON.parse(sessionStorage.getItem(RECENT_KEY) ?? '[]') as unknown
    return Array.isArray(kept) ? (kept as TracedAnswer[]).slice(0, RECENT_MAX) : []
  } catch {
    return []
  }
}

/** This tab's recent answers with a trace (the ops page lists them, linked to Zipkin when configured). */
export const recentTraces = reactive<TracedAnswer[]>(loadRecent())

export class ApiError extends Error {
  readonly status: number
  readonly body: ErrorBody
  readonly traceId: string

  constructor(status: number, body: ErrorBody, traceId: string) {
    super(body.message || body.detail || body.code)
    this.status = status
    this.body = body
    this.traceId = traceId
  }

  get code(): string {
    return this.body.code
  }

  /** Every field the API named, without the `application.` / `body.` prefixes the doors add. */
  get fields(): string[] {
    const all = [this.body.field, ...(this.body.fields ?? []).map((f) => f.field)].filter((f): f is string => !!f)
    return [...new Set(all)]
  }
}

export interface RequestOptions {
  path?: Record<string, string | number>
  query?: Record<string, string | number | boolean | undefined | null>
  json?: unknown
  form?: FormData
  /** Upload progress, 0–1 (the body is sent with XMLHttpRequest to report it). */
  onProgress?: (fraction: number) => void
  /** Read the answer as bytes (documents, PNG, Excel). */
  blob?: boolean
  /** A raw request body (e.g. a zip) sent with `contentType`; with `onProgress` it goes through XMLHttpRequest. */
  body?: Blob
  contentType?: string
  /** Download progress of a `blob` answer: bytes received, and the total (content-length, else `expectedBytes`; 0
   *  when unknown). */
  onDownload?: (received: number, total: number) => void
  expectedBytes?: number
}

export interface Answer<T> {
  data: T
  status: number
  traceId: string
  contentType: string
}

/** Fills `{name}` segments of an OpenAPI path (each value encoded: ids never change the path's shape). */
export function fillPath(template: string, values: Record<string, string | number> = {}): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const v = values[name]
    if (v === undefined || v === '') throw new Error(`path parameter ${name} missing for ${template}`)
    return encodeURIComponent(String(v))
  })
}

export function apiUrl(service: Service, template: string, opts: RequestOptions = {}): string {
  const url = `/api/${service}${fillPath(template, opts.path)}`
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const qs = q.toString()
  return qs ? `${url}?${qs}` : url
}

function noteTrace(traceId: string, method: string, template: string, status: number): void {
  if (traceId) trace.last = traceId
  trace.method = method
  trace.path = template
  trace.status = status
  if (!traceId) return
  recentTraces.unshift({ traceId, method, path: template, status, at: new Date().toISOString() })
  recentTraces.splice(RECENT_MAX)
  try {
    sessionStorage.setItem(RECENT_KEY, JSON.stringify(recentTraces))
  } catch {
    // storage full or disabled: the list lives as long as the page
  }
}

function errorBody(status: number, text: string): ErrorBody {
  try {
    const parsed = JSON.parse(text) as { error?: ErrorBody; detail?: unknown }
    if (parsed.error && typeof parsed.error.code === 'string') {
      return { ...parsed.error, message: parsed.error.message ?? parsed.error.detail ?? '' }
    }
  } catch {
    // not JSON: the gateway or a proxy answered
  }
  const code = status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status === 404 ? 'not_found'
    : status >= 500 ? 'unavailable' : 'invalid_request'
  return { code, message: text.slice(0, 300) }
}

function onUnauthenticated(): void {
  // The token expired or was refused: back to the login page, then to this page again.
  const here = window.location.pathname + window.location.search
  if (!window.location.pathname.startsWith('/login') && !window.location.pathname.startsWith('/callback')) {
    window.location.assign(`/login?expired=1&return=${encodeURIComponent(here)}`)
  }
}

function xhrRequest<T>(method: string, url: string, template: string, opts: RequestOptions): Promise<Answer<T>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open(method, url)
    if (session.token) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`)
    xhr.setRequestHeader('Accept', 'application/json')
    if (opts.body && opts.contentType) xhr.setRequestHeader('Content-Type', opts.contentType)
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && opts.onProgress) opts.onProgress(e.loaded / e.total)
    }
    xhr.onerror = () => reject(new ApiError(0, { code: 'network', message: 'network error' }, ''))
    xhr.onload = () => {
      const traceId = xhr.getResponseHeader('x-trace-id') ?? ''
      noteTrace(traceId, method, template, xhr.status)
      if (xhr.status === 401) onUnauthenticated()
      if (xhr.status >= 400) {
        reject(new ApiError(xhr.status, errorBody(xhr.status, xhr.responseText), traceId))
        return
      }
      opts.onProgress?.(1)
      let data: unknown = null
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null
      } catch {
        data = xhr.responseText
      }
      resolve({ data: data as T, status: xhr.status, traceId, contentType: xhr.getResponseHeader('content-type') ?? '' })
    }
    if (opts.json !== undefined && !opts.form && !opts.body) xhr.setRequestHeader('Content-Type', 'application/json')
    xhr.send(opts.form ?? opts.body ?? (opts.json !== undefined ? JSON.stringify(opts.json) : null))
  })
}

/** One call of a service's route: `template` is the route as the service's OpenAPI document names it. */
export async function call<T = unknown>(service: Service, method: string, template: string,
                                        opts: RequestOptions = {}): Promise<Answer<T>> {
  const url = apiUrl(service, template, opts)
  if (opts.onProgress && (opts.form || opts.body)) return xhrRequest<T>(method, url, template, opts)
  const headers: Record<string, string> = { Accept: opts.blob ? '*/*' : 'application/json' }
  if (session.token) headers.Authorization = `Bearer ${session.token}`
  let body: BodyInit | undefined
  if (opts.form) body = opts.form
  else if (opts.body) {
    if (opts.contentType) headers['Content-Type'] = opts.contentType
    body = opts.body
  } else if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.json)
  }
  let r: Response
  try {
    r = await fetch(url, { method, headers, body })
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network error' }, '')
  }
  const traceId = r.headers.get('x-trace-id') ?? ''
  noteTrace(traceId, method, template, r.status)
  if (r.status === 401) onUnauthenticated()
  if (!r.ok) throw new ApiError(r.status, errorBody(r.status, await r.text()), traceId)
  const contentType = r.headers.get('content-type') ?? ''
  if (opts.blob && opts.onDownload && r.body) {
    // Read as it streams, so a long download shows how far it got.
    const total = Number(r.headers.get('content-length')) || opts.expectedBytes || 0
    const reader = r.body.getReader()
    const chunks: Uint8Array[] = []
    let received = 0
    opts.onDownload(0, total)
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      received += value.byteLength
      opts.onDownload(received, total)
    }
    return { data: new Blob(chunks as BlobPart[], { type: contentType }) as T, status: r.status, traceId, contentType }
  }
  if (opts.blob) return { data: (await r.blob()) as T, status: r.status, traceId, contentType }
  const text = await r.text()
  let data: unknown = null
  if (text) {
    try {
      data = JSON.parse(text)
    } catch {
      data = text
    }
  }
  return { data: data as T, status: r.status, traceId, contentType }
}
