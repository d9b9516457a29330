// An API error as a person reads it: the sentence of its code in their language (fallback: the API's message), and
// the fields it names, so a form marks them.
import { computed, ref, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError } from '@/api/http'

export interface ShownError {
  code: string
  text: string
  detail: string
  params: Record<string, string>
  fields: string[]
  traceId: string
  status: number
}

/** `application.person_id` → `person_id`; `documents.id_card` stays (the form's key for that file). */
export function normaliseField(field: string): string {
  return field.replace(/^(application|body|query|path|claim|institution)\./, '')
}

export function useApiError() {
  const { t, te } = useI18n()
  const error: Ref<ShownError | null> = ref(null)

  function show(e: unknown): ShownError {
    let shown: ShownError
    if (e instanceof ApiError) {
      const key = `errors.${e.code}`
      const detail = e.body.message || e.body.detail || ''
      shown = {
        code: e.code,
        text: te(key) ? t(key) : t('errors.fallback', { message: detail || e.code }),
        detail,
        params: e.body.params ?? {},
        fields: e.fields.map(normaliseField),
        traceId: e.traceId,
        status: e.status,
      }
    } else {
      const message = e instanceof Error ? e.message : String(e)
      shown = { code: 'client', text: t('errors.fallback', { message }), detail: '', params: {}, fields: [],
        traceId: '', status: 0 }
    }
    error.value = shown
    return shown
  }

  function clear(): void {
    error.value = null
  }

  /** The error's message for a form field when the API named it (or a field inside it). */
  function fieldError(key: string): string {
    const e = error.value
    if (!e) return ''
    const hit = e.fields.some((f) => f === key || f.startsWith(`${key}.`) || f.endsWith(`.${key}`))
    return hit ? e.text : ''
  }

  const hasError = computed(() => error.value !== null)
  return { error, show, clear, fieldError, hasError }
}
