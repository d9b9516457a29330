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
    // A long-term care lot's clerk starts at its screening worklist (the chronic queue stays for the others).
    { to: '/clerk/ltc', label: 'clerk.ltc.title', testid: 'nav-ltc-queue', family: 'ltc' },
    { to: '/clerk/ltc/window', label: 'clerk.ltc.windowNav', testid: 'nav-ltc-window', family: 'ltc' },
    { to: '/clerk/queue', label: 'nav.queue', testid: 'nav-queue' },
    { to: '/cases', label: 'nav.cases', testid: 'nav-cases' },
    { to: '/clerk/window', label: 'nav.window', testid: 'nav-window' },
    { to: '/clerk/complaints', label: 'nav.complaints', testid: 'nav-complaints' },
    { to: '/archive/persons', label: 'ops.navFile', testid: 'nav-person-file' },
    { to: '/archive/exports', label: 'ops.navExports', testid: 'nav-exports' },
    { to: '/ltc/assessments', label: 'assess.nav.assessments', testid: 'nav-ltc-assessments', family: 'ltc' },
    { to: '/ltc/rechecks', label: 'assess.nav.rechecks', testid: 'nav-ltc-rechecks', family: 'ltc' },
    { to: '/reviewer/reviews', label: 'rev.nav.reviews', testid: 'nav-reviews', family: 'chronic' },
  ],
  expert: [
    // A long-term care lot's assessors (失能评定人员) are drawn from its pool with the expert role: their tasks first.
    { to: '/ltc/assessments', label: 'assess.nav.mine', testid: 'nav-ltc-assessments', family: 'ltc' },
    { to: '/expert/cases', label: 'nav.myCases', testid: 'nav-my-cases' },
  ],
  reviewer: [
    { to: '/cases', label: 'nav.reviewerCases', testid: 'nav-cases' },
    { to: '/reviewer/critical', label: 'nav.criticalReviews', testid: 'nav-critical-reviews' },
    { to: '/reviewer/reviews', label: 'rev.nav.reviews', testid: 'nav-reviews', family: 'chronic' },
    { to: '/reviewer/expert-lists', label: 'rev.nav.lists', testid: 'nav-expert-lists', family: 'chronic' },
    { to: '/ltc/assessments', label: 'assess.nav.assessments', testid: 'nav-ltc-assessments', family: 'ltc' },
    { to: '/review/hits', label: 'nav.hits', testid: 'nav-hits' },
    { to: '/archive/persons', label: 'ops.navFile', testid: 'nav-person-file' },
  ],
  finance: [
    { to: '/finance/statements', label: 'nav.statements', testid: 'nav-statements' },
    { to: '/finance/ledger', label: 'nav.ledger', testid: 'nav-ledger' },
    { to: '/finance/fund', label: 'finance.fund', testid: 'nav-fund' },
    { to: '/finance/year-end', label: 'finance.yearEnd', testid: 'nav-year-end' },
    { to: '/finance/ltc', label: 'finance.careStatements', testid: 'nav-ltc-statements', family: 'ltc' },
    { to: '/finance/person-payables', label: 'finance.personPayables', testid: 'nav-person-payables', family: 'critical' },
  ],
  institution: [{ to: '/finance/statements', label: 'nav.statements', testid: 'nav-statements' }],
  inspector: [
    // Fund supervision's and long-term care's inspectors start at their own work; the others at the hits.
    { to: '/inspector/inspections', label: 'inspector.menu.inspections', testid: 'nav-inspections',
      family: 'supervision' },
    { to: '/inspector/patrols', label: 'inspector.menu.patrols', testid: 'nav-patrols', family: 'ltc' },
    { to: '/review/hits', label: 'nav.hits', testid: 'nav-hits' },
    { to: '/inspector/sampling', label: 'inspector.menu.sampling', testid: 'nav-sampling', family: 'chronic' },
    { to: '/inspector/callbacks', label: 'inspector.menu.callbacks', testid: 'nav-callbacks', family: 'chronic' },
    { to: '/inspector/findings', label: 'nav.findings', testid: 'nav-findings' },
    { to: '/ops/trail', label: 'ops.navTrail', testid: 'nav-trail' },
    { to: '/archive/persons', label: 'ops.navFile', testid: 'nav-person-file' },
    { to: '/cases', label: 'nav.cases', testid: 'nav-cases' },
  ],
  supervisor: [
    { to: '/supervisor', label: 'nav.dashboard', testid: 'nav-dashboard' },
    { to: '/reviewer/expert-lists', label: 'rev.nav.lists', testid: 'nav-expert-lists', family: 'chronic' },
    { to: '/cases', label: 'nav.cases', testid: 'nav-cases' },
    { to: '/archive/exports', label: 'ops.navExports', testid: 'nav-exports' },
    { to: '/archive/persons', label: 'ops.navFile', testid: 'nav-person-file' },
    { to: '/ops/trail', label: 'ops.navTrail', testid: 'nav-trail' },
  ],
  ops: [
    { to: '/ops/trace', label: 'nav.trace', testid: 'nav-trace' },
    { to: '/ops/trail', label: 'ops.navTrail', testid: 'nav-trail' },
    { to: '/ops/dead-letters', label: 'ops.navDlq', testid: 'nav-dead-letters' },
    { to: '/archive/exports', label: 'ops.navExports', testid: 'nav-exports' },
    { to: '/archive/persons', label: 'ops.navFile', testid: 'nav-person-file' },
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
