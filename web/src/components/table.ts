export interface Column {
  key: string
  label: string
  num?: boolean
}
