// Each role's pages: the first is its home page. The menu shows these only; the services decide what each call may do.
import { session } from '@/auth'
import { programOfTenant } from '@/config'

export interface NavItem {
  to: string
  label: string // i18n key
  testid: string
  /** Only for a tenant of a program of this family (programs.json): chronic disease or long-term care pages. */
  family?: string
}

export const MOBILE_ROLES = new Set(['applicant'])

export const NAV: Record<string, NavItem[]> = {
  applicant: [
    { to: '/m/applications', label: 'nav.myApplications', testid: 'nav-my-applications' },
    { to: '/m/apply', label: 'nav.apply', testid: 'nav-apply', family: 'chronic' },
    { to: '/m/ltc/apply', label: 'nav.ltcApply', testid: 'nav-ltc-apply', family: 'ltc' },
    { to: '/m/notifications', label: 'nav.notifications', testid: 'nav-notifications' },
    { to: '/m/complaints', label: 'nav.complaints', testid: 'nav-complaints' },
  ],
  clerk: [
    { to: '/clerk/queue', label: 'nav.queue', testid: 'nav-queue' },
    { to: '/cases', label: 'nav.cases', testid: 'nav-cases' },
    { to: '/clerk/window', label: 'nav.window', testid: 'nav-window' },
    { to: '/clerk/complaints', label: 'nav.complaints', testid: 'nav-complaints' },
  ],
  expert: [{ to: '/expert/cases', label: 'nav.myCases', testid: 'nav-my-cases' }],
  reviewer: [
    { to: '/cases', label: 'nav.reviewerCases', testid: 'nav-cases' },
    { to: '/reviewer/critical', label: 'nav.criticalReviews', testid: 'nav-critical-reviews' },
    { to: '/review/hits', label: 'nav.hits', testid: 'nav-hits' },
  ],
  finance: [
    { to: '/finance/statements', label: 'nav.statements', testid: 'nav-statements' },
    { to: '/finance/ledger', label: 'nav.ledger', testid: 'nav-ledger' },
  ],
  institution: [{ to: '/finance/statements', label: 'nav.statements', testid: 'nav-statements' }],
  inspector: [
    { to: '/review/hits', label: 'nav.hits', testid: 'nav-hits' },
    { to: '/inspector/findings', label: 'nav.findings', testid: 'nav-findings' },
    { to: '/cases', label: 'nav.cases', testid: 'nav-cases' },
  ],
  supervisor: [
    { to: '/supervisor', label: 'nav.dashboard', testid: 'nav-dashboard' },
    { to: '/cases', label: 'nav.cases', testid: 'nav-cases' },
  ],
  ops: [
    { to: '/ops/trace', label: 'nav.trace', testid: 'nav-trace' },
    { to: '/finance/ledger', label: 'nav.ledger', testid: 'nav-ledger' },
  ],
}

/** The role's pages for the caller's tenant (an item bound to a program family shows for that family only). */
export function navOf(role: string | undefined): NavItem[] {
  const family = programOfTenant(session.claims?.tenant ?? '')?.family
  return ((role && NAV[role]) || []).filter((item) => !item.family || item.family === family)
}

export function homeOf(role: string | undefined): string {
  return navOf(role)[0]?.to || '/login'
}
