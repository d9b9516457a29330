// Client-side compression of document photos (拍照上传): a phone photo of several MB becomes a JPEG of at most
// MAX_SIDE pixels on its long side, drawn on a canvas. PDFs and small images are sent as they are.
const MAX_SIDE = 1600
const QUALITY = 0.82
const SMALL = 300 * 1024

export interface Prepared {
  file: File
  originalSize: number
  compressed: boolean
}

function loadImage(file: File): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file)
    const img = new Image()
    img.onload = () => {
      URL.revokeObjectURL(url)
      resolve(img)
    }
    img.onerror = () => {
      URL.revokeObjectURL(url)
      reject(new Error('image unreadable'))
    }
    img.src = url
  })
}

export async function prepareDocument(file: File, kind: string): Promise<Prepared> {
  const original = { file, originalSize: file.size, compressed: false }
  if (!file.type.startsWith('image/') || file.size <= SMALL) return original
  try {
    const img = await loadImage(file)
    const scale = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight))
    const w = Math.max(1, Math.round(img.naturalWidth * scale))
    const h = Math.max(1, Math.round(img.naturalHeight * scale))
    const canvas = document.createElement('canvas')
    canvas.width = w
    canvas.height = h
    const ctx = canvas.getContext('2d')
    if (!ctx) return original
    ctx.fillStyle = '#fff' // a PNG's transparency becomes white paper, not black
    ctx.fillRect(0, 0, w, h)
    ctx.drawImage(img, 0, 0, w, h)
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', QUALITY))
    if (!blob || blob.size >= file.size) return original
    return { file: new File([blob], `${kind}.jpg`, { type: 'image/jpeg' }), originalSize: file.size, compressed: true }
  } catch {
    return original
  }
}
