// The statement family of the caller's program: a critical illness carrier's are under /v1/critical, the others'
// under /v1/statements (programs as data, src/api/programs.json).
import { settlement, type Step } from '@/api/endpoints'
import { session } from '@/auth'
import { programOfTenant } from '@/config'

export type Kind = 'chronic' | 'critical'

export function defaultKind(): Kind {
  return programOfTenant(session.claims?.tenant ?? '')?.family === 'critical' ? 'critical' : 'chronic'
}

export function listOf(kind: Kind, month: string) {
  return kind === 'critical' ? settlement.ciStatements(month) : settlement.statements(month)
}

export function oneOf(kind: Kind, id: string) {
  return kind === 'critical' ? settlement.ciStatement(id) : settlement.statement(id)
}

export function stepOf(kind: Kind, id: string, step: Step) {
  return kind === 'critical' ? settlement.ciStatementStep(id, step) : settlement.statementStep(id, step)
}

/** The step a statement in this state is waiting for (the primary button; the service decides whether it may). */
export function nextStep(status: string): Step | '' {
  if (status === 'open') return 'close'
  if (status === 'closed' || status === 'unbalanced') return 'reconcile'
  if (status === 'reconciled') return 'payments'
  return ''
}
