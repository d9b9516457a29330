// Jingban web app build (经办前端). The gateway (jingban/web.py) serves dist/ and proxies /api and /config.json;
// `npm run dev` proxies the same paths to a running `make run` (JINGBAN_WEB_URL, default http://127.0.0.1:8100).
import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

const gateway = process.env.JINGBAN_WEB_URL ?? 'http://127.0.0.1:8100'

export default defineConfig({
  plugins: [vue()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // The phone pages never load Element Plus or ECharts; the workbenches never load Vant.
        manualChunks(id: string) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/vant') || id.includes('node_modules/@vant')) return 'vant'
          if (id.includes('node_modules/oidc-client-ts') || id.includes('node_modules/jwt-decode')) return 'oidc'
          return undefined
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: { '/api': gateway, '/config.json': gateway },
  },
})
