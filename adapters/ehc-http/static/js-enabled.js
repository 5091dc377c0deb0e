// Marks the page as able to run GOV.UK Frontend's JavaScript (an external file: the
// Content-Security-Policy allows no inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
