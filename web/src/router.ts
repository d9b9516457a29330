// Routes: the phone pages (/m, Vant) and the workbenches (Element Plus), each loaded when first visited so the
// applicant's phone never downloads the workbenches. A page names the roles it serves; the token's role picks.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { session, restore, expired } from '@/auth'
import { homeOf } from '@/nav'

const Mobile = () => import('@/components/MobileLayout.vue')
const Workbench = () => import('@/components/WorkbenchLayout.vue')

const STAFF_CASES = ['clerk', 'reviewer', 'supervisor', 'inspector', 'ops']

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('@/pages/common/LoginPage.vue'), meta: { public: true } },
  { path: '/callback', component: () => import('@/pages/common/CallbackPage.vue'), meta: { public: true } },
  {
    path: '/m',
    component: Mobile,
    meta: { roles: ['applicant'] },
    children: [
      { path: '', redirect: '/m/applications' },
      { path: 'apply', component: () => import('@/pages/applicant/ApplyPage.vue') },
      { path: 'applications', component: () => import('@/pages/applicant/MyApplications.vue') },
      { path: 'applications/:id', component: () => import('@/pages/applicant/ApplicationPage.vue'), props: true },
      { path: 'notifications', component: () => import('@/pages/applicant/NotificationsPage.vue') },
      { path: 'complaints', component: () => import('@/pages/applicant/ComplaintPage.vue') },
      { path: 'ltc/apply', component: () => import('@/pages/applicant/LtcApplyPage.vue') },
      { path: 'ltc/:id', component: () => import('@/pages/applicant/LtcApplicationPage.vue'), props: true },
    ],
  },
  // Home: the role's first page (the token is read first, by the guard below).
  { path: '/', component: () => import('@/pages/common/HomeRedirect.vue'), meta: { roles: ['*'] } },
  {
    path: '/',
    component: Workbench,
    children: [
      { path: 'clerk/queue', component: () => import('@/pages/clerk/QueuePage.vue'), meta: { roles: ['clerk'] } },
      { path: 'clerk/applications/:id', component: () => import('@/pages/clerk/ReviewPage.vue'), props: true,
        meta: { roles: ['clerk', 'reviewer', 'supervisor', 'ops'] } },
      { path: 'clerk/window', component: () => import('@/pages/clerk/WindowPage.vue'), meta: { roles: ['clerk'] } },
      { path: 'clerk/ltc', component: () => import('@/pages/clerk/LtcListPage.vue'),
        meta: { roles: ['clerk', 'supervisor', 'ops', 'reviewer'] } },
      { path: 'clerk/ltc/window', component: () => import('@/pages/clerk/LtcWindowPage.vue'), meta: { roles: ['clerk'] } },
      { path: 'clerk/ltc/:id', component: () => import('@/pages/clerk/LtcScreenPage.vue'), props: true,
        meta: { roles: ['clerk', 'supervisor', 'ops', 'reviewer'] } },
      { path: 'clerk/complaints', component: () => import('@/pages/clerk/ComplaintsPage.vue'),
        meta: { roles: ['clerk', 'supervisor', 'inspector', 'ops'] } },
      { path: 'cases', component: () => import('@/pages/expert/CasesPage.vue'), meta: { roles: STAFF_CASES } },
      { path: 'cases/:id', component: () => import('@/pages/expert/CasePage.vue'), props: true,
        meta: { roles: [...STAFF_CASES, 'expert'] } },
      { path: 'expert/cases', component: () => import('@/pages/expert/CasesPage.vue'), meta: { roles: ['expert'] } },
      // S14-E: re-reviews and filings, expert lists, the disability assessment (tablet) pages
      { path: 'reviewer/reviews', component: () => import('@/pages/reviewer/ReviewsPage.vue'),
        meta: { roles: ['reviewer', 'clerk', 'supervisor', 'ops'] } },
      { path: 'reviewer/expert-lists', component: () => import('@/pages/reviewer/ExpertListsPage.vue'),
        meta: { roles: ['reviewer', 'clerk', 'supervisor', 'ops', 'inspector'] } },
      { path: 'ltc/assessments', component: () => import('@/pages/assessor/AssessmentsPage.vue'),
        meta: { roles: ['expert', 'clerk', 'reviewer', 'supervisor', 'ops'] } },
      { path: 'ltc/assessments/:id', component: () => import('@/pages/assessor/AssessmentPage.vue'), props: true,
        meta: { roles: ['expert', 'clerk', 'reviewer', 'supervisor', 'ops'] } },
      { path: 'ltc/rechecks', component: () => import('@/pages/assessor/RechecksPage.vue'),
        meta: { roles: ['clerk', 'supervisor', 'ops'] } },
      { path: 'reviewer/critical', component: () => import('@/pages/reviewer/CriticalReviewsPage.vue'),
        meta: { roles: ['reviewer', 'clerk', 'supervisor', 'ops', 'inspector', 'finance'] } },
      { path: 'review/hits', component: () => import('@/pages/inspector/HitsPage.vue'),
        meta: { roles: ['inspector', 'reviewer', 'supervisor', 'ops', 'finance', 'clerk'] } },
      { path: 'inspector/findings', component: () => import('@/pages/inspector/FindingsPage.vue'),
        meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'inspector/sampling', component: () => import('@/pages/inspector/SamplingPage.vue'),
        meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'inspector/callbacks', component: () => import('@/pages/inspector/CallbacksPage.vue'),
        meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'inspector/inspections', component: () => import('@/pages/inspector/InspectionsPage.vue'),
        meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'inspector/inspections/:id', component: () => import('@/pages/inspector/InspectionPage.vue'),
        props: true, meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'inspector/patrols', component: () => import('@/pages/inspector/PatrolsPage.vue'),
        meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'finance/statements', component: () => import('@/pages/finance/StatementsPage.vue'),
        meta: { roles: ['finance', 'institution', 'supervisor', 'ops', 'clerk'] } },
      { path: 'finance/statements/:kind/:id', component: () => import('@/pages/finance/StatementPage.vue'),
        props: true, meta: { roles: ['finance', 'institution', 'supervisor', 'ops', 'clerk'] } },
      { path: 'finance/ledger', component: () => import('@/pages/finance/LedgerPage.vue'),
        meta: { roles: ['finance', 'supervisor', 'ops'] } },
      { path: 'finance/fund', component: () => import('@/pages/finance/FundPage.vue'),
        meta: { roles: ['finance', 'supervisor', 'ops', 'inspector'] } },
      { path: 'finance/year-end', component: () => import('@/pages/finance/YearEndPage.vue'),
        meta: { roles: ['finance', 'supervisor', 'ops', 'inspector'] } },
      { path: 'finance/ltc', component: () => import('@/pages/finance/CareStatementsPage.vue'),
        meta: { roles: ['finance', 'supervisor', 'ops', 'inspector', 'clerk'] } },
      { path: 'finance/person-payables', component: () => import('@/pages/finance/PersonPayablesPage.vue'),
        meta: { roles: ['finance', 'supervisor', 'ops', 'inspector', 'clerk'] } },
      { path: 'supervisor', component: () => import('@/pages/supervisor/DashboardPage.vue'),
        meta: { roles: ['supervisor'] } },
      { path: 'ops/trace', component: () => import('@/pages/ops/TracePage.vue'), meta: { roles: ['*'] } },
      { path: 'ops/trail', component: () => import('@/pages/ops/TrailPage.vue'),
        meta: { roles: ['ops', 'inspector', 'supervisor'] } },
      { path: 'ops/dead-letters', component: () => import('@/pages/ops/DeadLettersPage.vue'), meta: { roles: ['ops'] } },
      { path: 'archive/exports', component: () => import('@/pages/archive/ExportsPage.vue'),
        meta: { roles: ['supervisor', 'ops', 'clerk'] } },
      { path: 'archive/persons', component: () => import('@/pages/archive/PersonFilePage.vue'),
        meta: { roles: ['clerk', 'reviewer', 'inspector', 'supervisor', 'ops'] } },
      { path: ':rest(.*)*', component: () => import('@/pages/common/NotFoundPage.vue'), meta: { roles: ['*'] } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

let restored = false

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!restored) {
    restored = true
    await restore()
  }
  if (!session.claims || expired()) {
    return { path: '/login', query: { return: to.fullPath } }
  }
  const role = session.claims.role
  const roles = to.matched.flatMap((r) => (r.meta.roles as string[] | undefined) ?? [])
  if (roles.length && !roles.includes('*') && !roles.includes(role)) {
    const home = homeOf(role)
    return home === to.path ? true : home
  }
  return true
})
