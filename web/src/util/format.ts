// Formatting only: the API's amounts (decimal yuan strings), days and timestamps as a person reads them. Nothing
// here computes a business figure — amounts are never parsed into floats.

/** "71992071.95" → "71,992,071.95" (the string's own digits, grouped; the sign and decimals kept as sent). */
export function money(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—'
  const s = String(value)
  const m = /^(-?)(\d+)(\.\d+)?$/.exec(s)
  if (!m) return s
  const grouped = m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${m[1]}${grouped}${m[3] ?? ''}`
}

/** An ISO timestamp in the person's locale, Beijing time (the platform's business day is China's). */
export function dateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(locale === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })
}

export function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '—'
}

/** Whole days since a timestamp (how long an item has waited, shown beside the API's own working-day clocks). */
export function daysSince(iso: string | null | undefined, now = Date.now()): number {
  if (!iso) return 0
  const t = new Date(iso).getTime()
  return Number.isNaN(t) ? 0 : Math.max(0, Math.floor((now - t) / 86400000))
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** A resident ID number as shown on screen (the API answers it whole to its owner and staff; screens mask it). */
export function maskId(id: string | null | undefined): string {
  if (!id) return '—'
  return id.length > 8 ? `${id.slice(0, 4)}**********${id.slice(-4)}` : id
}

/** The current month (YYYY-MM) and the one before, in Beijing time: defaults of month pickers. */
export function monthOf(offset = 0): string {
  const now = new Date(new Date().toLocaleString('en-US', { timeZone: 'Asia/Shanghai' }))
  const d = new Date(now.getFullYear(), now.getMonth() + offset, 1)
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`
}

export function yearNow(): number {
  return Number(monthOf(0).slice(0, 4))
}
