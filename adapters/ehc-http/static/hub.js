// Enhancements only: every page works without this file.
import { initAll } from '/assets/govuk-frontend.min.js'

initAll()

// The GOV.UK timeout warning: two minutes before the idle timeout, a dialog offers
// "Stay signed in". Without JavaScript the page shows a plain notice instead.
const dialog = document.getElementById('hub-timeout')
if (dialog && typeof dialog.showModal === 'function') {
  const idle = Number(dialog.dataset.idleSeconds) * 1000
  const warn = Number(dialog.dataset.warnSeconds) * 1000
  const countdown = dialog.querySelector('.hub-timeout__countdown')
  const form = dialog.querySelector('form')
  let warnTimer, endTimer, tick

  const start = () => {
    clearTimeout(warnTimer); clearTimeout(endTimer); clearInterval(tick)
    warnTimer = setTimeout(showWarning, Math.max(idle - warn, 0))
    endTimer = setTimeout(() => { window.location.href = '/sign-in?timeout=1' }, idle)
  }
  const showWarning = () => {
    let left = warn / 1000
    const say = () => {
      const minutes = Math.ceil(left / 60)
      countdown.textContent = left > 60 ? `${minutes} minutes` : `${left} seconds`
    }
    say()
    tick = setInterval(() => { left -= 1; if (left >= 0) say() }, 1000)
    dialog.showModal()
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    await fetch(form.action, { method: 'POST', body: new URLSearchParams(new FormData(form)), redirect: 'manual' })
    dialog.close()
    start()
  })
  start()
}

// "Print this page" (shown only where this script runs): the browser's print dialog, which
// uses the print rules of hub.css.
for (const button of document.querySelectorAll('.hub-print-button')) {
  button.addEventListener('click', () => window.print())
}
