// The journey of the LA's guide in a real browser (Debian's Chromium, driven by playwright-core),
// with axe-core checking every page against WCAG 2.2 AA and a screenshot of each page.
//
// Run by bins/ehc-hub/tests/browser.rs against a running `ehc-hub demo`:
//   BASE=http://127.0.0.1:PORT APP_LINK=… TEXT_LINK=… OUT_DIR=… node web/tests/journey.mjs
// APP_LINK registers the LA officer (officer@anytown.example), who sets up an authenticator app
// (codes from oathtool, reading the key from the page), then works the demonstration cases: the
// tray and its filters, *Create a case*, a decision, the case officer, an invitation, *People and
// their roles*, the *Audit log*. TEXT_LINK registers the SENDCo of setting 100001 (jo.bloggs@example.gov.uk), who
// sets up text messages (codes read from /dev/outbox), sees that setting's cases and no other,
// then signs in again with JavaScript turned off.

import { chromium } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

const { BASE, APP_LINK, TEXT_LINK, OUT_DIR } = process.env
if (!BASE || !APP_LINK || !TEXT_LINK || !OUT_DIR) {
  console.error('BASE, APP_LINK, TEXT_LINK and OUT_DIR must be set')
  process.exit(2)
}
mkdirSync(OUT_DIR, { recursive: true })
const PASSWORD = 'Harbour!Lights9'
const failures = []
let shot = 0
let axed = 0
/** What the LA officer's part learns for the SENDCo's: case page addresses by LA reference. */
const caseLinks = {}

function check (condition, message) {
  if (!condition) failures.push(message)
}

/** Screenshot and (where the page can run scripts) accessibility check of the page shown. */
async function record (page, name, { axe = true } = {}) {
  shot += 1
  await page.screenshot({ path: join(OUT_DIR, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true })
  if (!axe) return
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze()
  axed += 1
  for (const v of results.violations) {
    failures.push(`${name}: axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)
  }
  console.log(`${name}: ${results.violations.length} accessibility violations`)
}

/** Clicks the button or link and waits for the page it leads to. */
async function go (page, role, name) {
  await Promise.all([
    page.waitForEvent('load'),
    page.getByRole(role, { name, exact: true }).click()
  ])
}

async function heading (page) {
  return (await page.locator('h1').first().textContent()).trim()
}

async function signIn (page, email, label) {
  await page.goto(`${BASE}/sign-in`)
  await record(page, `${label}-sign-in`)
  await page.getByLabel('Email address').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await go(page, 'button', 'Sign in')
}

async function register (page, link, label) {
  await page.goto(link)
  check(await heading(page) === 'Complete your registration', `${label}: registration page`)
  await record(page, `${label}-register`)
  await page.getByLabel('Choose your password').fill('harbour!lights9')
  await page.getByLabel('Confirm your password').fill('harbour!lights9')
  await go(page, 'button', 'Complete registration')
  check((await page.content()).includes('Password must contain at least one capital letter'), `${label}: the broken rule is listed`)
  await record(page, `${label}-register-errors`)
  await page.getByLabel('Choose your password').fill(PASSWORD)
  await page.getByLabel('Confirm your password').fill(PASSWORD)
  await go(page, 'button', 'Complete registration')
  check(await heading(page) === 'Your registration is complete', `${label}: registered`)
  await record(page, `${label}-registered`)
}

function totp (key, offset) {
  const args = ['--totp', '-b', key.replace(/\s+/g, '')]
  if (offset) args.push('-N', offset)
  return execFileSync('oathtool', args, { encoding: 'utf8' }).trim()
}

async function appJourney (browser) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await register(page, APP_LINK, 'app')
  await signIn(page, 'Officer@Anytown.EXAMPLE', 'app')
  check(await heading(page) === 'How do you want to get security codes?', 'app: method choice')
  await page.getByText('I need more information').click()
  await record(page, 'app-method')
  await page.getByLabel('Smartphone or tablet app').check()
  await go(page, 'button', 'Continue')
  const key = (await page.locator('#key').textContent()).trim()
  check(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/.test(key), `app: key in groups of four (${key})`)
  await record(page, 'app-set-up')
  await go(page, 'link', 'Use a QR code instead')
  check(await page.locator('.hub-qr svg').count() === 1, 'app: QR code as inline SVG')
  await record(page, 'app-qr')
  await page.getByLabel('Security code').fill(totp(key))
  await go(page, 'button', 'Submit')
  await saveRecoveryCodes(page, 'app')
  check(await heading(page) === 'My cases in progress', 'app: work tray after set-up')
  await record(page, 'app-cases')
  await go(page, 'button', 'Sign out')
  check(await heading(page) === 'You have signed out', 'app: signed out')
  await record(page, 'app-signed-out')
  await signIn(page, 'officer@anytown.example', 'app-again')
  check(await heading(page) === 'Enter the code from your authenticator app', 'app: code asked for at once')
  await record(page, 'app-challenge')
  // The set-up code's step was used; the app's next code is accepted (±1 step).
  await page.getByLabel('Security code').fill(totp(key, 'now + 30 seconds'))
  await go(page, 'button', 'Log in')
  check(await heading(page) === 'My cases in progress', 'app: work tray after the second sign-in')
  await officerCases(page)
  await context.close()
}

// ---- the cases ----------------------------------------------------------------------------------

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December']
const DAY = 24 * 60 * 60 * 1000

/** The LA's calendar date (Europe/London), as midnight UTC of that day. */
function londonToday () {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', year: 'numeric', month: 'numeric', day: 'numeric'
  }).formatToParts(new Date())
  const part = type => Number(parts.find(p => p.type === type).value)
  return new Date(Date.UTC(part('year'), part('month') - 1, part('day')))
}

function daysAfter (date, days) {
  return new Date(date.getTime() + days * DAY)
}

/** "5 January 2026", as the hub writes dates. */
function longDate (date) {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`
}

/** The time of a date the hub wrote ("5 January 2026"), or null. */
function readLongDate (text) {
  const m = /^(\d{1,2}) ([A-Z][a-z]+) (\d{4})$/.exec(text.trim())
  return m && MONTHS.includes(m[2]) ? Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]), Number(m[1])) : null
}

/** A key date's status in words, as on the trays and the tracker. */
const STATUS_IN_WORDS = /^(Due today|Due in \d+ days?|Overdue by \d+ days?|Met (late )?on \d{1,2} [A-Z][a-z]+ \d{4}|Ended)$/

/** The rows of a work tray's table. */
async function trayRows (page) {
  return page.locator('table.govuk-table tbody tr').evaluateAll(rows => rows.map(tr => {
    const cells = tr.querySelectorAll('td')
    const link = cells[0].querySelector('a')
    const first = cells[3].firstChild
    const tag = cells[3].querySelector('.govuk-tag')
    return {
      name: link.textContent.trim(),
      href: link.getAttribute('href'),
      reference: cells[0].querySelector('span').textContent.trim(),
      stage: cells[1].textContent.trim(),
      nextStep: cells[2].textContent.trim(),
      keyDate: first && first.nodeType === Node.TEXT_NODE ? first.textContent.trim() : '',
      status: tag ? tag.textContent.trim() : ''
    }
  }))
}

const references = rows => rows.map(r => r.reference)

function sameList (got, expected) {
  return got.length === expected.length && got.every((v, i) => v === expected[i])
}

/** Chooses `options` ({label: option words}) in the tray's filters and applies them. */
async function filterTray (page, options) {
  for (const [label, option] of Object.entries(options)) {
    await page.getByLabel(label, { exact: true }).selectOption({ label: option })
  }
  await go(page, 'button', 'Apply')
}

/** The rows of the tracker's tables (one per stage) on a case page: what, by, actual, status. */
async function trackerRows (page) {
  return page.locator('table:has(caption:text("Statutory dates")) tbody tr').evaluateAll(rows => rows.map(tr => {
    const cells = tr.querySelectorAll('td')
    return {
      what: cells[0].firstChild.textContent.trim(),
      by: cells[1].firstChild.textContent.trim(),
      actual: cells[2].textContent.trim(),
      status: cells[3].textContent.trim()
    }
  }))
}

/** The value of a row of the case page's summary list. */
async function summaryValue (page, key) {
  const row = page.locator('.govuk-summary-list__row', { has: page.locator('dt', { hasText: key }) })
  return (await row.locator('dd').textContent()).trim()
}

/** The page shows the GOV.UK error summary after a form failed: "Error:" in the title, the
 * summary has the focus (GOV.UK Frontend gives it), and each of its links moves the focus to
 * the field it names. Returns the summary's messages. */
async function errorSummary (page, label) {
  const summary = page.locator('.govuk-error-summary')
  check(await summary.count() === 1, `${label}: the error summary is shown`)
  check((await page.title()).startsWith('Error: '), `${label}: "Error:" starts the page title`)
  check(await page.evaluate(() => Boolean(document.activeElement && document.activeElement.closest('.govuk-error-summary'))),
    `${label}: the error summary has the focus`)
  const links = summary.locator('a')
  const messages = []
  for (let i = 0; i < await links.count(); i++) {
    const link = links.nth(i)
    const message = (await link.textContent()).trim()
    messages.push(message)
    const target = (await link.getAttribute('href')).replace(/^#/, '')
    await link.click()
    const focused = await page.evaluate(() => {
      const el = document.activeElement
      return { id: el ? el.id : '', tag: el ? el.tagName.toLowerCase() : '' }
    })
    check(focused.id === target && ['input', 'select', 'textarea'].includes(focused.tag),
      `${label}: the summary's link "${message}" moves the focus to #${target} (it went to ${focused.tag}#${focused.id})`)
    check(await page.locator('.govuk-form-group--error .govuk-error-message', { hasText: message }).count() >= 1,
      `${label}: "${message}" is also shown at its field`)
  }
  return messages
}

/** The LA officer (signed in, on *My cases in progress*): the demonstration cases in the tray,
 * its filters and order, a new case, its decision, its officer and a parent's invitation, and
 * *People and their roles*. */
async function officerCases (page) {
  const today = londonToday()
  await record(page, 'officer-cases')
  let rows = await trayRows(page)
  check(sameList([...references(rows)].sort(), ['EHC-DEMO-0001', 'EHC-DEMO-0002', 'EHC-DEMO-0003', 'EHC-DEMO-0004']),
    `officer: the 4 demonstration cases (${references(rows).join(', ')})`)
  check((await page.content()).includes('Showing 1 to 4 of 4 cases'), 'officer: "Showing 1 to 4 of 4 cases"')
  const keyDates = rows.map(r => readLongDate(r.keyDate))
  check(keyDates.every(d => d !== null), `officer: every demonstration case has a key date (${rows.map(r => r.keyDate).join(', ')})`)
  check(keyDates.every((d, i) => i === 0 || keyDates[i - 1] <= d), `officer: ranked by key date (${rows.map(r => r.keyDate).join(', ')})`)
  check(rows.length > 0 && rows[0].reference === 'EHC-DEMO-0001', 'officer: the nearest key date (EHC-DEMO-0001, decide whether to assess) first')
  check(rows.every(r => STATUS_IN_WORDS.test(r.status)), `officer: statuses in words (${rows.map(r => r.status).join(', ')})`)
  const ava = rows.find(r => r.reference === 'EHC-DEMO-0001')
  check(ava && ava.stage === 'Request received' && ava.nextStep === 'Decide whether to assess' && /^Due in \d+ days?$/.test(ava.status),
    `officer: EHC-DEMO-0001 in words (${JSON.stringify(ava)})`)
  for (const r of rows) caseLinks[r.reference] = r.href

  await filterTray(page, { Stage: 'Request received' })
  check(page.url().includes('stage=request-received'), 'officer: the stage filter is in the address')
  rows = await trayRows(page)
  check(sameList(references(rows), ['EHC-DEMO-0001', 'EHC-DEMO-0004']), `officer: stage "Request received" (${references(rows).join(', ')})`)
  await record(page, 'officer-cases-request-received')
  await filterTray(page, { 'Key date': 'Due within 2 weeks' })
  check(page.url().includes('stage=request-received') && page.url().includes('due=due-soon'), 'officer: both filters in the address')
  rows = await trayRows(page)
  check(sameList(references(rows), ['EHC-DEMO-0001']), `officer: request received and due within 2 weeks (${references(rows).join(', ')})`)
  check((await page.content()).includes('Showing 1 to 1 of 1 cases'), 'officer: "Showing 1 to 1 of 1 cases"')
  await record(page, 'officer-cases-due-soon')
  await filterTray(page, { Stage: 'All stages', 'Key date': 'Any', Order: "Child's last name" })
  rows = await trayRows(page)
  check(sameList(rows.map(r => r.name), ['Leo Marchetti', 'Maya Okonkwo', 'Sam Pennington', 'Ava Thornbury']),
    `officer: ordered by the child's last name (${rows.map(r => r.name).join(', ')})`)
  await record(page, 'officer-cases-by-name')
  await filterTray(page, { Order: 'Newest request first' })
  rows = await trayRows(page)
  check(sameList(references(rows), ['EHC-DEMO-0004', 'EHC-DEMO-0001', 'EHC-DEMO-0002', 'EHC-DEMO-0003']),
    `officer: newest request first (${references(rows).join(', ')})`)
  await record(page, 'officer-cases-newest')

  // Create a case: once empty, then properly.
  await go(page, 'link', 'Create a case')
  check(await heading(page) === 'Create a case', 'officer: Create a case')
  await record(page, 'officer-case-new')
  await go(page, 'button', 'Create case')
  check(await heading(page) === 'Create a case', 'officer: the empty form is shown again')
  const messages = await errorSummary(page, 'officer-case-new-errors')
  for (const m of ['Enter the date of birth', 'Enter the date the request was received', 'Select how the request was received']) {
    check(messages.includes(m), `officer: the empty form says "${m}" (it said: ${messages.join('; ')})`)
  }
  await record(page, 'officer-case-new-errors')
  const received = daysAfter(today, -21)
  const fillDate = async (group, date) => {
    const fields = page.getByRole('group', { name: group })
    await fields.getByLabel('Day').fill(String(date.getUTCDate()))
    await fields.getByLabel('Month').fill(String(date.getUTCMonth() + 1))
    await fields.getByLabel('Year').fill(String(date.getUTCFullYear()))
  }
  await page.getByLabel('LA reference').fill('EHC-BROWSER-1')
  await page.getByLabel("Child's first name").fill('Robin')
  await page.getByLabel("Child's last name").fill('Fairweather')
  await fillDate('Date of birth', new Date(Date.UTC(2016, 2, 14)))
  await fillDate('Date the request was received', received)
  await page.getByLabel('By post').check()
  await page.getByLabel('Education settings (optional)').fill('100001')
  await go(page, 'button', 'Create case')
  check(await heading(page) === 'Robin Fairweather', `officer: the new case's page (got "${await heading(page)}")`)
  check(/\/cases\/[^/]+$/.test(page.url()), `officer: the case's own address (${page.url()})`)
  caseLinks['EHC-BROWSER-1'] = new URL(page.url()).pathname
  check((await page.locator('.govuk-caption-l').textContent()).trim() === 'EHC-BROWSER-1', 'officer: the LA reference above the name')
  check(await summaryValue(page, 'Stage') === 'Request received', 'officer: stage "Request received"')
  check(await summaryValue(page, 'Date of birth') === '14 March 2016', 'officer: the date of birth')
  check(await summaryValue(page, 'Request received') === `${longDate(received)} (by post)`,
    `officer: received ${longDate(received)} by post (${await summaryValue(page, 'Request received')})`)
  check((await summaryValue(page, 'Education settings')).startsWith('100001 '), 'officer: setting 100001 linked, with its name')
  let tracker = await trackerRows(page)
  let decide = tracker.find(t => t.what === 'Decide whether to assess')
  check(decide && decide.by === longDate(daysAfter(received, 42)) && /^Due in \d+ days$/.test(decide.status),
    `officer: the tracker's "Decide whether to assess" by ${longDate(daysAfter(received, 42))}, 6 weeks after the request (${JSON.stringify(tracker)})`)
  await record(page, 'officer-case')

  // Record the decision to assess: once without its date, then properly.
  await go(page, 'link', 'Decision whether to assess')
  check(await heading(page) === 'Decision whether to assess', 'officer: the record page')
  await record(page, 'officer-record-decision')
  await page.getByLabel('Yes').check()
  await go(page, 'button', 'Save')
  check(await heading(page) === 'Decision whether to assess', 'officer: the record page again without a date')
  check(await page.getByLabel('Yes').isChecked(), 'officer: the answer is kept')
  const dateMessages = await errorSummary(page, 'officer-record-decision-errors')
  check(dateMessages.includes('Enter the date'), `officer: "Enter the date" (${dateMessages.join('; ')})`)
  await record(page, 'officer-record-decision-errors')
  const decided = daysAfter(received, 14)
  await fillDate('Date it happened', decided)
  await go(page, 'button', 'Save')
  check(await heading(page) === 'Robin Fairweather', 'officer: back on the case page after recording')
  check(await summaryValue(page, 'Stage') === 'EHC needs assessment', `officer: stage "EHC needs assessment" (${await summaryValue(page, 'Stage')})`)
  tracker = await trackerRows(page)
  decide = tracker.find(t => t.what === 'Decide whether to assess')
  check(decide && decide.status === `Met on ${longDate(decided)}` && decide.actual === longDate(decided), `officer: the decision met on ${longDate(decided)} (${JSON.stringify(decide)})`)
  await record(page, 'officer-case-decided')

  // The case officer, and a parent invited (once without a role).
  await page.getByLabel('Case officer', { exact: true }).selectOption({ label: 'officer@anytown.example' })
  await go(page, 'button', 'Assign officer')
  check(await summaryValue(page, 'Case officer') === 'officer@anytown.example', 'officer: the case officer assigned')
  await page.getByLabel('Email address').fill('parent.fairweather@example.com')
  await go(page, 'button', 'Invite')
  const roleMessages = await errorSummary(page, 'officer-case-invite-errors')
  check(roleMessages.includes("Select the person's role on the case"), `officer: the invitation needs a role (${roleMessages.join('; ')})`)
  check(await page.getByLabel('Email address').inputValue() === 'parent.fairweather@example.com', 'officer: the address is kept')
  await record(page, 'officer-case-invite-errors')
  await page.getByLabel('Parent or carer').check()
  await go(page, 'button', 'Invite')
  check(await heading(page) === 'Robin Fairweather', 'officer: back on the case page after inviting')
  check(await page.locator('#timeline ~ ul li', { hasText: 'parent.fairweather@example.com given access as parent or carer' }).count() === 1,
    'officer: the invitation is on the timeline')
  await record(page, 'officer-case-invited')
  await page.goto(`${BASE}/dev/outbox`)
  check((await page.content()).includes('parent.fairweather@example.com'), 'officer: the invitation e-mail is in the outbox')

  // Back to the tray: the new case, and the case officer filter.
  await page.goto(`${BASE}/cases`)
  rows = await trayRows(page)
  check(references(rows).includes('EHC-BROWSER-1') && rows.length === 5, `officer: 5 cases with the new one (${references(rows).join(', ')})`)
  await filterTray(page, { 'Case officer': 'officer@anytown.example' })
  rows = await trayRows(page)
  check(sameList(references(rows), ['EHC-BROWSER-1']), `officer: the case officer filter (${references(rows).join(', ')})`)
  await record(page, 'officer-cases-by-officer')

  // People and their roles.
  await go(page, 'link', 'People and their roles')
  check(await heading(page) === 'People and their roles', 'officer: People and their roles')
  await record(page, 'officer-people')
  await page.getByLabel('Find a person by email address').fill('parent.fairweather@example.com')
  await go(page, 'button', 'Find')
  const peopleMessages = await errorSummary(page, 'officer-people-errors')
  check(peopleMessages.includes('Nobody has registered with this email address'), `officer: an invited person is not registered yet (${peopleMessages.join('; ')})`)
  await record(page, 'officer-people-errors')
  await page.getByLabel('Find a person by email address').fill('officer@anytown.example')
  await go(page, 'button', 'Find')
  check(await page.locator('h2', { hasText: 'officer@anytown.example' }).count() === 1, 'officer: found by address')
  const roles = await page.locator('table.govuk-table tbody tr td:first-child').allTextContents()
  check(roles.length >= 1, `officer: their roles (${roles.join(', ')})`)
  await record(page, 'officer-people-found')
  await casePages(page)
  await page.goto(`${BASE}/cases`)
  await auditLog(page)
  await page.goto(`${BASE}/cases`)
}

/** The LA officer's *Audit log*: entries newest first with who did what, a kind filter in the
 * address, the export link, and bad filters with the error summary. */
async function auditLog (page) {
  await go(page, 'link', 'Audit log')
  check(await heading(page) === 'Audit log', 'officer: Audit log')
  const who = await page.locator('table.hub-audit tbody tr td:nth-child(2)').allTextContents()
  check(who.length > 0 && who.some(w => w.includes('officer@anytown.example')), `officer: the audit log names who acted (${who.length} entries)`)
  check(await page.getByRole('link', { name: /Export as CSV/ }).count() === 1, 'officer: Export as CSV')
  await record(page, 'officer-audit')
  await page.getByLabel('Kind of entry').selectOption('signed-in')
  await go(page, 'button', 'Search')
  check(page.url().includes('kind=signed-in'), 'officer: the kind filter is in the address')
  const kinds = await page.locator('table.hub-audit tbody tr td:nth-child(3)').allTextContents()
  check(kinds.length > 0 && kinds.every(k => k.trim() === 'Signed in'), `officer: only sign-ins (${kinds.join(', ')})`)
  await record(page, 'officer-audit-signed-in')
  await page.getByLabel('Person\'s email address').fill('nobody@example.org')
  await page.locator('#to-day').fill('31')
  await page.locator('#to-month').fill('2')
  await page.locator('#to-year').fill('2026')
  await go(page, 'button', 'Search')
  const messages = await errorSummary(page, 'officer-audit-errors')
  check(sameList(messages, ['There is no one with this email address on the hub', 'The last day must be a real date']),
    `officer: the audit log's bad filters (${messages.join('; ')})`)
  await record(page, 'officer-audit-errors')
}

/** The pages around a case (documents, advice, the EHC plan, review meetings, the family's
 * views, e-mail alerts) as the LA officer on the new case, and the online request's upload step
 * signed in (its add form) and signed out (the explanation instead): each answers 200 and is
 * checked with axe-core. */
async function casePages (page) {
  const base = caseLinks['EHC-BROWSER-1']
  check(Boolean(base), 'case pages: the new case is known')
  const pages = [
    [`${base}/documents/new`, 'officer-document-upload'],
    [`${base}/advice/new`, 'officer-advice-request'],
    [`${base}/plan`, 'officer-plan'],
    [`${base}/plan/new/draft`, 'officer-plan-draft'],
    [`${base}/meetings/new`, 'officer-meeting-new'],
    [`${base}/views/about-me`, 'officer-about-me'],
    [`${base}/views/parent-carer-views`, 'officer-parent-carer-views'],
    ['/account/alerts', 'officer-email-alerts'],
    ['/request/documents', 'officer-request-documents']
  ]
  for (const [path, name] of pages) {
    const response = await page.goto(`${BASE}${path}`)
    check(response.status() === 200, `${name}: ${path} answers 200 (${response.status()})`)
    await record(page, name)
  }
  const download = await page.request.get(`${BASE}${base}/download`)
  check(download.status() === 200 && (download.headers()['content-type'] || '').includes('zip'),
    `officer: Download all case information gives a ZIP (${download.status()} ${download.headers()['content-type']})`)
  const context = await page.context().browser().newContext()
  const anonymous = await context.newPage()
  for (const [path, name] of [['/request', 'request-start'], ['/request/who', 'request-who'], ['/request/documents', 'request-documents']]) {
    const response = await anonymous.goto(`${BASE}${path}`)
    check(response.status() === 200, `${name}: ${path} answers 200 signed out (${response.status()})`)
    await record(anonymous, name)
  }
  await context.close()
}

/** The SENDCo of setting 100001 (signed in, on *My cases in progress*): that setting's cases,
 * the new one included, and not the case of setting 100002, even by its address. */
async function sendcoCases (page) {
  const mine = ['EHC-BROWSER-1', 'EHC-DEMO-0001', 'EHC-DEMO-0002', 'EHC-DEMO-0003']
  let rows = await trayRows(page)
  check(sameList([...references(rows)].sort(), mine), `sendco: the cases of setting 100001 (${references(rows).join(', ')})`)
  check(!references(rows).includes('EHC-DEMO-0004'), 'sendco: not the case of setting 100002')
  check(rows.every(r => r.status === '' || STATUS_IN_WORDS.test(r.status)), `sendco: statuses in words (${rows.map(r => r.status).join(', ')})`)
  check(await page.getByRole('link', { name: 'Create a case' }).count() === 0, 'sendco: no Create a case')
  await go(page, 'link', 'Setting cases')
  check(await heading(page) === 'Setting cases', 'sendco: Setting cases')
  rows = await trayRows(page)
  check(sameList([...references(rows)].sort(), mine), `sendco: Setting cases of 100001 (${references(rows).join(', ')})`)
  await record(page, 'text-setting-cases')
  await go(page, 'link', 'Robin Fairweather')
  check(await heading(page) === 'Robin Fairweather', 'sendco: the new case')
  const tracker = await trackerRows(page)
  check(tracker.some(t => t.what === 'Decide whether to assess' && t.status.startsWith('Met on')), `sendco: the tracker (${JSON.stringify(tracker)})`)
  check(await page.getByRole('heading', { name: 'Manage the case' }).count() === 0, 'sendco: no back office on the case page')
  await record(page, 'text-case')
  check(Boolean(caseLinks['EHC-DEMO-0004']), 'sendco: the address of EHC-DEMO-0004 is known')
  const response = await page.goto(`${BASE}${caseLinks['EHC-DEMO-0004']}`)
  check(response.status() === 404 && await heading(page) === 'Page not found', `sendco: EHC-DEMO-0004's address is "Page not found" (${response.status()}, "${await heading(page)}")`)
  check(!(await page.content()).includes('Pennington'), 'sendco: nothing of EHC-DEMO-0004 shown')
  await record(page, 'text-case-not-found')
  const refused = await page.goto(`${BASE}/cases/new`)
  check(refused.status() === 403 && await heading(page) === 'You do not have permission to do this', `sendco: Create a case is refused (${refused.status()})`)
  await record(page, 'text-case-new-refused')
  await page.goto(`${BASE}/cases`)
}

/** Every texted code on the development Outbox page, newest first. */
async function textedCodes (page) {
  await page.goto(`${BASE}/dev/outbox`)
  const texts = await page.locator('pre').allTextContents()
  return texts.map(t => (t.match(/(\d{6}) is your/) || [])[1]).filter(Boolean)
}

/** Waits (the dispatcher sends within a second or two) until more than `before` texts were
 * sent, and returns the newest code. */
async function newTextCode (page, before) {
  for (let i = 0; i < 40; i++) {
    const codes = await textedCodes(page)
    if (codes.length > before) return codes[0]
    await page.waitForTimeout(500)
  }
  return ''
}

async function textJourney (browser) {
  const context = await browser.newContext()
  const page = await context.newPage()
  await register(page, TEXT_LINK, 'text')
  await signIn(page, 'jo.bloggs@example.gov.uk', 'text')
  await page.getByLabel('Text message').check()
  await go(page, 'button', 'Continue')
  check(await heading(page) === 'Enter your mobile phone number', 'text: mobile page')
  await record(page, 'text-mobile')
  await page.getByLabel('UK mobile number').fill('+44 (0)7700 900982')
  await go(page, 'button', 'Send code')
  check(await heading(page) === 'Check your phone', 'text: code page')
  await record(page, 'text-code')
  await page.getByLabel('Security code').fill('000000')
  await go(page, 'button', 'Log in')
  await record(page, 'text-code-error')
  const code = await newTextCode(page, 0)
  check(code !== '', 'text: the code arrived in the outbox')
  await page.goto(`${BASE}/sign-in/code`)
  await page.getByLabel('Security code').fill(code)
  await go(page, 'button', 'Log in')
  await saveRecoveryCodes(page, 'text')
  check(await heading(page) === 'My cases in progress', 'text: work tray')
  await record(page, 'text-cases')
  await sendcoCases(page)
  await accountPages(page)
  await context.close()
}

/** *Your account* and the pages of its changes, each with its errors, checked with axe-core
 * (nothing is changed: the HTTP tests cover the changes themselves). */
async function accountPages (page) {
  await page.goto(`${BASE}/cases`)
  await go(page, 'link', 'Your account')
  check(await heading(page) === 'Your account', 'account: Your account')
  check((await page.locator('#account-second-factor').textContent()).includes('ending 0982'), 'account: the number by its last digits')
  await record(page, 'account')
  await go(page, 'link', 'Change password')
  check(await heading(page) === 'Enter your password to continue', 'account: the password is asked for again')
  await page.getByLabel('Password', { exact: true }).fill('Wrong!Guess1')
  await go(page, 'button', 'Continue')
  const wrong = await errorSummary(page, 'account-confirm-password-error')
  check(sameList(wrong, ['Your password is not correct']), `account: a wrong password (${wrong.join('; ')})`)
  await record(page, 'account-confirm-password-error')
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await go(page, 'button', 'Continue')
  check(await heading(page) === 'Change your password', 'account: Change your password')
  await page.getByLabel('New password').fill('Lantern#Quay42')
  await page.getByLabel('Confirm your password').fill('Lantern#Quay43')
  await go(page, 'button', 'Change password')
  const mismatch = await errorSummary(page, 'account-password-errors')
  check(mismatch.length === 1, `account: a mismatch (${mismatch.join('; ')})`)
  await record(page, 'account-password-errors')
  await page.goto(`${BASE}/account/email`)
  await page.getByLabel('New email address').fill('jo.bloggs@example.gov.uk')
  await go(page, 'button', 'Send link')
  const same = await errorSummary(page, 'account-email-errors')
  check(sameList(same, ['Enter a different email address from the one you use now']), `account: the same address (${same.join('; ')})`)
  await record(page, 'account-email-errors')
  await page.goto(`${BASE}/account/security-codes/method`)
  check(await heading(page) === 'How do you want to get security codes?', 'account: a new second factor')
  await record(page, 'account-security-codes')
  await page.goto(`${BASE}/account/sign-out-elsewhere`)
  await go(page, 'button', 'Continue')
  const unanswered = await errorSummary(page, 'account-sign-out-elsewhere-error')
  check(sameList(unanswered, ['Select yes if you want to sign out of every other device']), `account: sign out elsewhere unanswered (${unanswered.join('; ')})`)
  await record(page, 'account-sign-out-elsewhere-error')
  await page.getByLabel('No', { exact: true }).check()
  await go(page, 'button', 'Continue')
  check(await heading(page) === 'Your account', 'account: back to Your account')
}

/** *Save your recovery codes* after a second factor is set up: ten codes, shown once, and
 * *I have saved my recovery codes* before the work tray. */
async function saveRecoveryCodes (page, route) {
  check(await heading(page) === 'Save your recovery codes', `${route}: recovery codes after set-up`)
  const codes = await page.locator('#recovery-codes code').allTextContents()
  check(codes.length === 10 && codes.every(c => /^[0-9a-z]{4}(-[0-9a-z]{4}){5}$/.test(c)), `${route}: ten recovery codes (${codes.join(' ')})`)
  await go(page, 'button', 'Continue')
  check(await heading(page) === 'Save your recovery codes', `${route}: the box must be ticked`)
  await record(page, `${route}-recovery-codes-error`)
  await page.getByLabel('I have saved my recovery codes').check()
  await go(page, 'button', 'Continue')
}

/** A later sign-in by text with JavaScript turned off: every page works without it. */
async function withoutJavaScript (browser) {
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  const before = (await textedCodes(page)).length
  await page.goto(`${BASE}/sign-in`)
  await page.getByLabel('Email address').fill('jo.bloggs@example.gov.uk')
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD)
  await go(page, 'button', 'Sign in')
  check(await heading(page) === 'Check your phone', 'no-js: the password step texted a code')
  check((await page.content()).includes('ending in 0982'), 'no-js: the number is masked')
  await record(page, 'no-js-code', { axe: false })
  await go(page, 'button', 'Resend log in code')
  check(await heading(page) === 'Check your phone', 'no-js: resend')
  // One text from the password step, one from Resend.
  const code = await newTextCode(page, before + 1)
  check(code !== '', 'no-js: the resent code arrived')
  await page.goto(`${BASE}/sign-in/code`)
  await page.getByLabel('Security code').fill(code)
  await go(page, 'button', 'Log in')
  await record(page, 'no-js-after-code', { axe: false })
  check(await heading(page) === 'My cases in progress', `no-js: work tray (got "${await heading(page)}")`)
  check((await page.content()).includes('we will sign you out if you do nothing'), 'no-js: the plain timeout notice')
  await record(page, 'no-js-cases', { axe: false })
  const refs = await page.locator('table.govuk-table tbody tr td:first-child span').allTextContents()
  check(refs.includes('EHC-BROWSER-1') && !refs.includes('EHC-DEMO-0004'), `no-js: the setting's cases (${refs.join(', ')})`)
  await go(page, 'link', 'Robin Fairweather')
  check(await heading(page) === 'Robin Fairweather', 'no-js: the case page')
  await record(page, 'no-js-case', { axe: false })
  await go(page, 'button', 'Sign out')
  check(await heading(page) === 'You have signed out', 'no-js: signed out')
  await context.close()
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run']
})
try {
  await appJourney(browser)
  await textJourney(browser)
  await withoutJavaScript(browser)
} catch (e) {
  failures.push(`the journey stopped: ${e.stack || e}`)
} finally {
  await browser.close()
}
if (failures.length) {
  console.error(`${failures.length} failure(s):\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
console.log(`browser journey passed: ${shot} pages (${axed} checked with axe-core), 0 accessibility violations; screenshots in ${OUT_DIR}`)
