// Autosave of the contributor's draft advice: a progressive enhancement (without JavaScript,
// "Save draft" does the same). A few seconds after typing stops, the form is posted as
// "Save draft" in the background and the page says when the draft was saved.
const form = document.querySelector('form[data-autosave]')
if (form) {
  const text = form.querySelector('textarea')
  const saved = form.querySelector('#advice-saved')
  let last = text.value
  let timer

  const save = async () => {
    if (text.value === last) return
    const body = new URLSearchParams(new FormData(form))
    body.set('action', 'draft')
    const value = text.value
    try {
      const response = await fetch(form.action, { method: 'POST', body, redirect: 'manual', credentials: 'same-origin' })
      if (response.type === 'opaqueredirect' || response.ok) {
        last = value
        const time = new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
        saved.textContent = `Draft saved automatically at ${time}`
      } else {
        saved.textContent = 'Your draft could not be saved automatically: use Save draft'
      }
    } catch (e) {
      saved.textContent = 'Your draft could not be saved automatically: use Save draft'
    }
  }

  text.addEventListener('input', () => {
    clearTimeout(timer)
    timer = setTimeout(save, 5000)
  })
  form.addEventListener('submit', () => clearTimeout(timer))
}
