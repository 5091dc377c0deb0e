// The journey of the LA's guide in a real browser (Debian's Chromium, driven by playwright-core),
// with axe-core checking every page against WCAG 2.2 AA and a screenshot of each page.
//
// Run by bins/ehc-hub/tests/browser.rs against a running `ehc-hub demo`:
//   BASE=http://127.0.0.1:PORT APP_LINK=… TEXT_LINK=… OUT_DIR=… node web/tests/journey.mjs
// APP_LINK registers a person who sets up an authenticator app (codes from oathtool, reading the
// key from the page); TEXT_LINK one who sets up text messages (codes read from /dev/outbox), then
// signs in again with JavaScript turned off.

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
  await signIn(page, 'Jo.Bloggs@Example.GOV.UK', 'app')
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
  check(await heading(page) === 'My cases in progress', 'app: work tray after set-up')
  await record(page, 'app-cases')
  await go(page, 'button', 'Sign out')
  check(await heading(page) === 'You have signed out', 'app: signed out')
  await record(page, 'app-signed-out')
  await signIn(page, 'jo.bloggs@example.gov.uk', 'app-again')
  check(await heading(page) === 'Enter the code from your authenticator app', 'app: code asked for at once')
  await record(page, 'app-challenge')
  // The set-up code's step was used; the app's next code is accepted (±1 step).
  await page.getByLabel('Security code').fill(totp(key, 'now + 30 seconds'))
  await go(page, 'button', 'Log in')
  check(await heading(page) === 'My cases in progress', 'app: work tray after the second sign-in')
  await context.close()
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
  await signIn(page, 'officer@anytown.example', 'text')
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
  check(await heading(page) === 'My cases in progress', 'text: work tray')
  await record(page, 'text-cases')
  await context.close()
}

/** A later sign-in by text with JavaScript turned off: every page works without it. */
async function withoutJavaScript (browser) {
  const context = await browser.newContext({ javaScriptEnabled: false })
  const page = await context.newPage()
  const before = (await textedCodes(page)).length
  await page.goto(`${BASE}/sign-in`)
  await page.getByLabel('Email address').fill('officer@anytown.example')
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
console.log(`browser journey passed: ${shot} pages, 0 accessibility violations; screenshots in ${OUT_DIR}`)
