// Jingban web app (经办前端): config.json first (the issuer, Zipkin), then the app.
import { createApp } from 'vue'
import App from './App.vue'
import { loadConfig } from './config'
import { i18n } from './i18n'
import { router } from './router'
import './styles/base.css'
import './styles/workbench.css'

async function start(): Promise<void> {
  await loadConfig()
  document.documentElement.lang = i18n.global.locale.value
  createApp(App).use(i18n).use(router).mount('#app')
}

void start()
