/** The demo page's stylesheet, served as /demo.css (a strict CSP allows no inline style). */
export const DEMO_STYLE = `:root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
body { margin: 0 auto; max-width: 44rem; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.25rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #8884; }
h3 { font-size: 1.05rem; margin-top: 1.25rem; }
label { display: block; margin-top: 0.75rem; font-weight: 600; }
input[type=radio] + label { display: inline; font-weight: normal; margin-left: 0.4rem; }
input:not([type=radio]) { display: block; width: 100%; max-width: 22rem; box-sizing: border-box; padding: 0.45rem; font: inherit; }
button { margin-top: 0.9rem; margin-right: 0.5rem; padding: 0.45rem 0.9rem; font: inherit; cursor: pointer; }
button:disabled { cursor: not-allowed; opacity: 0.6; }
fieldset { margin-top: 1rem; border: 1px solid #8886; }
[hidden] { display: none !important; }
[role=alert] { margin: 1rem 0; padding: 0.75rem 1rem; border-left: 4px solid #c0392b; background: #c0392b22; }
[role=alert] ul { margin: 0.5rem 0 0; }
#status { min-height: 1.5em; color: #555; }
@media (prefers-color-scheme: dark) { #status { color: #bbb; } }
.account { display: flex; gap: 1rem; align-items: center; }
.account img { border-radius: 50%; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
output { display: block; font-family: ui-monospace, monospace; overflow-wrap: anywhere; padding: 0.5rem; background: #8882; }
.note { font-size: 0.9rem; color: #777; }
`
