// One download at a time with its progress (bytes received of the file's size, which the report's `files` give
// beforehand): the file is saved when all of it has arrived; an error is shown, never a half file.
import { computed, reactive } from 'vue'
import type { Answer } from '@/api/endpoints'
import { saveBlob } from './supervise'

export function useDownload(onError: (e: unknown) => void) {
  const state = reactive({ file: '', received: 0, total: 0, phase: 'idle' as 'idle' | 'downloading' | 'done' | 'failed',
    traceId: '' })
  const pct = computed(() => (state.total ? Math.min(100, Math.round((state.received / state.total) * 100)) : 0))
  const busy = computed(() => state.phase === 'downloading')

  async function run(file: string, size: number,
                     fetcher: (onDownload: (received: number, total: number) => void) => Promise<Answer<Blob>>
  ): Promise<void> {
    state.file = file
    state.received = 0
    state.total = size
    state.phase = 'downloading'
    try {
      const a = await fetcher((got, all) => {
        state.received = got
        state.total = all || size
      })
      state.traceId = a.traceId
      saveBlob(a.data, file)
      state.phase = 'done'
    } catch (e) {
      state.phase = 'failed'
      onError(e)
    }
  }

  return { state, pct, busy, run }
}
