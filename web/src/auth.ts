// Login (登录): OIDC authorization code flow with PKCE (S256) against config.json's authority, public client
// `jingban-web`, redirect `<origin>/callback` (oidc-client-ts). The token's claims — tenant, role, subject and, for
// agency supervisors, program — decide the home page and the menu; the services verify the token themselves.
import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts'
import { reactive } from 'vue'
import { config } from '@/config'

export interface Claims {
  tenant: string
  role: string
  subject: string
  program: string
  name: string
  exp: number
}

export const session = reactive<{ claims: Claims | null; token: string }>({ claims: null, token: '' })

let manager: UserManager | null = null

function userManager(): UserManager {
  if (manager) return manager
  const c = config()
  const origin = window.location.origin
  manager = new UserManager({
    authority: c.authority,
    client_id: c.client_id || 'jingban-web',
    redirect_uri: `${origin}/callback`,
    post_logout_redirect_uri: `${origin}/login`,
    response_type: 'code', // PKCE S256 is oidc-client-ts' default for the code flow
    // OpenID Connect (the development issuer and Keycloak both require `openid`); the app reads its claims from
    // the access token, the one the services verify.
    scope: (c as unknown as { scope?: string }).scope || 'openid profile',
    loadUserInfo: false,
    automaticSilentRenew: false,
    monitorSession: false,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  })
  return manager
}

/** The claims of a JWT's payload (read, not verified: the services verify; the app only chooses its pages). */
export function decodeClaims(token: string): Claims | null {
  try {
    const part = token.split('.')[1]
    if (!part) return null
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')
    const bytes = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))
    const body = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>
    const str = (v: unknown) => (typeof v === 'string' ? v : '')
    return {
      tenant: str(body.tenant),
      role: str(body.role),
      subject: str(body.subject) || str(body.sub),
      program: str(body.program),
      name: str(body.preferred_username) || str(body.name) || str(body.subject) || str(body.sub),
      exp: typeof body.exp === 'number' ? body.exp : 0,
    }
  } catch {
    return null
  }
}

function adopt(user: User | null): boolean {
  if (!user || user.expired || !user.access_token) {
    session.claims = null
    session.token = ''
    return false
  }
  const claims = decodeClaims(user.access_token)
  session.claims = claims
  session.token = claims ? user.access_token : ''
  return !!claims
}

/** Restores a session kept in this tab (sessionStorage). */
export async function restore(): Promise<boolean> {
  if (!config().authority) return false
  try {
    return adopt(await userManager().getUser())
  } catch {
    return false
  }
}

/** Sends the person to the identity provider's login page; `hint` pre-selects a demo user there. */
export async function login(returnTo = '/', hint = ''): Promise<void> {
  await userManager().signinRedirect({ state: { returnTo }, ...(hint ? { login_hint: hint } : {}) })
}

/** Finishes the code flow on /callback: the code is exchanged with the PKCE verifier; answers where to go. */
export async function completeLogin(): Promise<string> {
  const user = await userManager().signinRedirectCallback()
  if (!adopt(user)) throw new Error('no usable access token')
  const state = user.state as { returnTo?: string } | undefined
  return state?.returnTo && state.returnTo.startsWith('/') && !state.returnTo.startsWith('//') ? state.returnTo : '/'
}

export async function logout(): Promise<void> {
  const um = userManager()
  const user = await um.getUser().catch(() => null)
  await um.removeUser()
  session.claims = null
  session.token = ''
  if (user?.id_token) {
    try {
      await um.signoutRedirect({ id_token_hint: user.id_token })
      return
    } catch {
      // the provider has no end-session endpoint: the local session is gone, that is enough
    }
  }
  window.location.assign('/login')
}

/** An expired token while the app is open: log in again, back to the page the person was on. */
export function expired(): boolean {
  const c = session.claims
  return !c || (c.exp > 0 && c.exp * 1000 < Date.now())
}
