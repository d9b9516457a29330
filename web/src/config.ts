// The runtime configuration the gateway serves at /config.json (the web contract): the OIDC issuer, the client,
// Zipkin's URL (empty when none), the mode, the tenants served and, in embedded mode, the demo logins.
import programsJson from '@/api/programs.json'

export interface DemoLogin {
  username: string
  tenant: string
  role: string
}

export interface ProgramTenant {
  tenant: string
  name: string
  share: string
}

export interface ProgramInfo {
  code: string
  name: string
  agency: string
  family: 'chronic' | 'critical' | 'ltc' | 'supervision'
  tenants: ProgramTenant[]
  intake: {
    district_required?: boolean
    districts?: Record<string, string>
    multiple_diseases?: boolean
    inpatient_records?: { required?: boolean; min_hospital_level?: number; within_years?: number }
  }
  /** Long-term care: each lot's (tenant's) districts, and the city level's name (市本级). */
  ltc_districts?: Record<string, string[]>
  city_level?: string
}

export interface WebConfig {
  authority: string
  client_id: string
  zipkin_url: string
  mode: string
  tenants: string[]
  demo_logins: DemoLogin[]
}

const DEFAULTS: WebConfig = {
  authority: '',
  client_id: 'jingban-web',
  zipkin_url: '',
  mode: 'embedded',
  tenants: [],
  demo_logins: [],
}

let loaded: WebConfig = { ...DEFAULTS }

/** Reads /config.json once at start; a missing or broken file leaves the defaults (the login page says so). */
export async function loadConfig(): Promise<WebConfig> {
  try {
    const r = await fetch('/config.json', { headers: { accept: 'application/json' }, cache: 'no-store' })
    if (r.ok) {
      const body = (await r.json()) as Partial<WebConfig> & { tenants?: unknown[] }
      const tenants = (body.tenants ?? []).map((t) =>
        typeof t === 'string' ? t : String((t as { tenant?: string; id?: string }).tenant ?? (t as { id?: string }).id ?? ''),
      )
      loaded = { ...DEFAULTS, ...body, tenants: tenants.filter(Boolean), demo_logins: body.demo_logins ?? [] }
    }
  } catch {
    // keep the defaults
  }
  return loaded
}

export function config(): WebConfig {
  return loaded
}

export const PROGRAMS = programsJson as ProgramInfo[]

/** The program a tenant is a carrier of (programs as data, generated from programs/*.yaml at build time). */
export function programOfTenant(tenant: string): ProgramInfo | undefined {
  return PROGRAMS.find((p) => p.tenants.some((t) => t.tenant === tenant))
}

export function carrierName(tenant: string): string {
  for (const p of PROGRAMS) {
    const t = p.tenants.find((x) => x.tenant === tenant)
    if (t) return t.name
  }
  return tenant
}

/** Zipkin's page of a trace, or '' when config.json gives no zipkin_url. */
export function zipkinTraceUrl(traceId: string): string {
  const base = loaded.zipkin_url.replace(/\/+$/, '')
  if (!base || !traceId) return ''
  return `${base}/zipkin/traces/${traceId}`
}
