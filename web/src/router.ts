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
      { path: 'clerk/complaints', component: () => import('@/pages/clerk/ComplaintsPage.vue'),
        meta: { roles: ['clerk', 'supervisor', 'inspector', 'ops'] } },
      { path: 'cases', component: () => import('@/pages/expert/CasesPage.vue'), meta: { roles: STAFF_CASES } },
      { path: 'cases/:id', component: () => import('@/pages/expert/CasePage.vue'), props: true,
        meta: { roles: [...STAFF_CASES, 'expert'] } },
      { path: 'expert/cases', component: () => import('@/pages/expert/CasesPage.vue'), meta: { roles: ['expert'] } },
      { path: 'reviewer/critical', component: () => import('@/pages/reviewer/CriticalReviewsPage.vue'),
        meta: { roles: ['reviewer', 'clerk', 'supervisor', 'ops', 'inspector', 'finance'] } },
      { path: 'review/hits', component: () => import('@/pages/inspector/HitsPage.vue'),
        meta: { roles: ['inspector', 'reviewer', 'supervisor', 'ops', 'finance', 'clerk'] } },
      { path: 'inspector/findings', component: () => import('@/pages/inspector/FindingsPage.vue'),
        meta: { roles: ['inspector', 'supervisor', 'ops'] } },
      { path: 'finance/statements', component: () => import('@/pages/finance/StatementsPage.vue'),
        meta: { roles: ['finance', 'institution', 'supervisor', 'ops', 'clerk'] } },
      { path: 'finance/statements/:kind/:id', component: () => import('@/pages/finance/StatementPage.vue'),
        props: true, meta: { roles: ['finance', 'institution', 'supervisor', 'ops', 'clerk'] } },
      { path: 'finance/ledger', component: () => import('@/pages/finance/LedgerPage.vue'),
        meta: { roles: ['finance', 'supervisor', 'ops'] } },
      { path: 'supervisor', component: () => import('@/pages/supervisor/DashboardPage.vue'),
        meta: { roles: ['supervisor'] } },
      { path: 'ops/trace', component: () => import('@/pages/ops/TracePage.vue'), meta: { roles: ['*'] } },
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
