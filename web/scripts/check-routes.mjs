// Checks that every route the web app calls (src/api/endpoints.ts: `call(<service>, <METHOD>, '<template>'` and the
// step tables) is a route of that service's OpenAPI document (src/api/openapi/<service>.json, scripts/gen_api.py).
import { readFileSync } from 'node:fs'

const src = readFileSync(new URL('../src/api/endpoints.ts', import.meta.url), 'utf8')
const docs = {}
for (const s of ['intake', 'appraisal', 'settlement', 'audit', 'archive']) {
  docs[s] = JSON.parse(readFileSync(new URL(`../src/api/openapi/${s}.json`, import.meta.url), 'utf8'))
}
const calls = [...src.matchAll(/call<[^(]*?>\('(\w+)', '(\w+)', '([^']+)'/g)].map((m) => [m[1], m[2], m[3]])
for (const m of src.matchAll(/(CI_)?STEPS[^=]*=\s*\{([^}]*)\}/g)) {
  for (const t of m[2].matchAll(/'([^']+)'/g)) calls.push(['settlement', 'POST', t[1]])
}
let bad = 0
for (const [service, method, path] of calls) {
  const ops = docs[service]?.paths?.[path]
  if (!ops || !ops[method.toLowerCase()]) {
    console.error(`not in ${service}'s OpenAPI: ${method} ${path}`)
    bad++
  }
}
console.log(`${calls.length} routes checked, ${bad} unknown`)
process.exit(bad ? 1 : 0)
