"""Theme, CSS and the small client-side script of the chat UI (no external fonts or assets)."""
from __future__ import annotations

SYSTEM_FONTS = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial",
                "sans-serif")
SYSTEM_MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "DejaVu Sans Mono", "monospace")


def theme():
    """Gradio's Soft theme with fonts that ship inside the gradio wheel (served locally) or the system's."""
    import gradio as gr

    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        # the wheel's IBM Plex Sans SemiBold is a partial subset: use Regular + Bold (600 maps to Bold)
        font=(gr.themes.LocalFont("IBM Plex Sans", weights=(400, 700)), *SYSTEM_FONTS),
        font_mono=(gr.themes.LocalFont("IBM Plex Mono"), *SYSTEM_MONO),
    )


CSS = r"""
/* clip, not hidden: a hidden overflow makes the container a scroll box, and the sticky composer and
   sources panel would stick to it instead of to the window */
.gradio-container { max-width: 1440px !important; padding-top: .6rem !important; overflow: clip !important; }
/* narrower page margins on a phone (a top-level rule: Gradio scopes media rules inside .contain) */
.main.app { padding-left: min(2rem, 3vw) !important; padding-right: min(2rem, 3vw) !important; }
:root, .dark {
  --ra-accent: var(--color-accent, #4f46e5);
  --ra-accent-soft: var(--color-accent-soft, #eef2ff);
  --ra-text: var(--body-text-color, #1f2937);
  --ra-muted: var(--body-text-color-subdued, #6b7280);
  --ra-border: var(--border-color-primary, #e5e7eb);
  --ra-card: var(--background-fill-primary, #ffffff);
  --ra-soft: var(--background-fill-secondary, #f8fafc);
  --ra-warn: #92400e; --ra-warn-bg: #fffbeb; --ra-warn-border: #f59e0b;
  --ra-err: #b91c1c; --ra-err-bg: #fef2f2; --ra-err-border: #ef4444;
  --ra-mark: #fde68a;
}
.dark { --ra-warn: #fcd34d; --ra-warn-bg: #2a2111; --ra-err: #fca5a5; --ra-err-bg: #2b1414; --ra-mark: #854d0e; }

/* the HTML blocks line up with the other components' edges */
.html-container { padding-left: 0 !important; padding-right: 0 !important; }

/* header */
#ra-topbar { align-items: center; gap: 1rem; padding: 0 0 .25rem; }
#ra-topbar > * { min-width: 0; }
.ra-brand h1 { font-size: 1.3rem; margin: 0; line-height: 1.2; font-weight: 600; }
.ra-brand p { margin: .15rem 0 0; color: var(--ra-muted); font-size: .88rem; }
#ra-status { display: flex; justify-content: flex-end; }
#ra-status > * { min-width: 0; max-width: 100%; }
/* one line at any width: a narrow screen cuts the text short (the full text is its tooltip) */
.ra-status { display: inline-flex; align-items: center; gap: .5rem; padding: .35rem .85rem; border-radius: 999px;
  font-size: .85rem; background: var(--ra-soft); border: 1px solid var(--ra-border); color: var(--ra-text);
  max-width: 100%; box-sizing: border-box; white-space: nowrap; }
.ra-status-text { overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.ra-status .ra-dot { width: .55rem; height: .55rem; border-radius: 50%; background: #16a34a; flex: none; }
.ra-status.ra-loading { background: var(--ra-accent-soft); color: var(--ra-accent); border-color: transparent; }
.ra-status.ra-error { background: var(--ra-err-bg); color: var(--ra-err); border-color: var(--ra-err-border); }
.ra-status.ra-error .ra-dot { background: var(--ra-err-border); }

/* conversation: it grows with the page, which scrolls (a box scrolling inside the page would carry
   the question out of sight above its answer) */
.ra-log { min-height: 240px; padding: 1rem 1rem 1.25rem; box-sizing: border-box; border: 1px solid var(--ra-border);
  border-radius: 14px; background: var(--ra-soft); display: flex; flex-direction: column; gap: .8rem; }
.ra-msg { display: flex; }
.ra-msg.ra-user { justify-content: flex-end; scroll-margin-top: .75rem; }
.ra-bubble { max-width: 90%; padding: .7rem .95rem; border-radius: 14px; line-height: 1.6; overflow-wrap: anywhere;
  color: var(--ra-text); font-size: .97rem; }
.ra-user .ra-bubble { background: var(--ra-accent); color: #fff; border-bottom-right-radius: 4px;
  white-space: pre-wrap; }
.ra-user .ra-muted { color: rgba(255,255,255,.8); font-style: italic; }
.ra-bot .ra-bubble { background: var(--ra-card); border: 1px solid var(--ra-border); border-bottom-left-radius: 4px;
  box-shadow: 0 1px 2px rgba(15,23,42,.04); }
.ra-bubble p { margin: 0 0 .55rem; }
.ra-bubble p:last-child { margin-bottom: 0; }
.ra-bubble ul { margin: .2rem 0 .55rem; padding-left: 1.2rem; }
.ra-bubble li { margin: .25rem 0; }
.ra-cites { white-space: nowrap; }
a.ra-cite, .ra-cite.ra-demo { display: inline-block; min-width: 1.2em; padding: 0 .32em; margin-left: .18em;
  font-size: .72em; font-weight: 600; line-height: 1.55; text-align: center; vertical-align: .3em; border-radius: 5px;
  color: var(--ra-accent) !important; background: var(--ra-accent-soft); text-decoration: none !important;
  border: 1px solid rgba(79,70,229,.25); cursor: pointer; }
a.ra-cite:hover, a.ra-cite:focus-visible { background: var(--ra-accent); color: #fff !important; outline: none; }
.ra-refs { list-style: none; margin: .7rem 0 0; padding: .55rem 0 0; border-top: 1px dashed var(--ra-border);
  font-size: .84rem; color: var(--ra-muted); }
.ra-refs li { display: flex; gap: .45rem; align-items: baseline; margin: .2rem 0; }
.ra-refs a.ra-cite { vertical-align: 0; margin-left: 0; flex: none; }
.ra-ref-title { color: var(--ra-text); }
.ra-meta { margin-top: .5rem; font-size: .76rem; color: var(--ra-muted); }
.ra-notice { border-left-width: 4px !important; }
.ra-notice-head { font-weight: 600; margin-bottom: .3rem; }
.ra-notice.ra-abstain { background: var(--ra-warn-bg) !important; border-color: var(--ra-warn-border) !important; }
.ra-notice.ra-abstain .ra-notice-head { color: var(--ra-warn); }
.ra-notice.ra-abstain .ra-notice-head::before { content: "\26A0\FE0E  "; }
.ra-notice.ra-error { background: var(--ra-err-bg) !important; border-color: var(--ra-err-border) !important; }
.ra-notice.ra-error .ra-notice-head { color: var(--ra-err); }
.ra-hint { font-size: .84rem; color: var(--ra-muted); }
.ra-working { display: flex; align-items: center; gap: .55rem; color: var(--ra-muted); font-size: .92rem; }
.ra-spinner { width: .85rem; height: .85rem; border-radius: 50%; flex: none; border: 2px solid currentColor;
  border-right-color: transparent; animation: ra-spin .8s linear infinite; opacity: .8; }
@keyframes ra-spin { to { transform: rotate(360deg); } }
.ra-caret { display: inline-block; width: .45em; height: 1em; margin-left: .1em; vertical-align: -.12em;
  background: var(--ra-accent); animation: ra-blink 1s steps(2) infinite; }
@keyframes ra-blink { 50% { opacity: 0; } }
.ra-stopped { margin-top: .35rem; font-size: .84rem; font-style: italic; color: var(--ra-muted); }
.ra-log:has(.ra-welcome) { justify-content: center; }
.ra-welcome { margin: 0 auto !important; max-width: 36rem; text-align: center; color: var(--ra-muted);
  line-height: 1.6; }
.ra-welcome h3 { color: var(--ra-text); font-size: 1.15rem; font-weight: 600; margin: 0 0 .5rem; }
.ra-muted { color: var(--ra-muted); }

/* composer: stays at the bottom of the window while a long conversation scrolls above it */
#ra-composer { align-items: stretch; gap: .5rem; position: sticky; bottom: 0; z-index: 20; padding: .5rem 0;
  background: var(--body-background-fill, #fff); }
#ra-composer textarea { font-size: .97rem; }
#ra-examples { gap: .4rem; flex-wrap: wrap; align-items: center; }
#ra-examples > * { flex: 0 1 auto !important; min-width: 0 !important; width: auto !important; }
#ra-examples .ra-examples-label { font-size: .8rem; color: var(--ra-muted); padding-right: .2rem; }
button.ra-example { font-weight: 400 !important; font-size: .8rem !important; border-radius: 999px !important;
  white-space: normal !important; text-align: left !important; line-height: 1.3 !important;
  padding: .3rem .75rem !important; }
#ra-chat-bar { align-items: center; justify-content: space-between; gap: .5rem; margin-bottom: -.35rem; }
#ra-chat-bar > * { flex: 0 1 auto !important; min-width: 0 !important; width: auto !important; }
.ra-chat-title { font-size: .95rem; font-weight: 600; color: var(--ra-text); }
#ra-new { max-width: 13rem; }

/* sources: beside the conversation, as tall as the window, kept in view while the page scrolls */
#ra-sources-col { align-self: stretch !important; }
#ra-sources { position: sticky; top: .5rem; }
.ra-sources-panel { max-height: calc(100vh - 1rem); overflow-y: auto; overscroll-behavior: contain;
  padding: .1rem .35rem .5rem .1rem; box-sizing: border-box; }
.ra-panel-head { font-size: 1.02rem; font-weight: 600; margin: 0 0 .55rem; color: var(--ra-text); }
.ra-panel-head .ra-for { display: block; font-weight: 400; font-size: .82rem; color: var(--ra-muted);
  margin-top: .15rem; overflow-wrap: anywhere; }
.ra-banner { font-size: .82rem; color: var(--ra-muted); background: var(--ra-soft); border: 1px solid var(--ra-border);
  padding: .45rem .7rem; border-radius: 8px; margin-bottom: .65rem; line-height: 1.45; }
.ra-banner.ra-not-evidence { background: var(--ra-warn-bg); color: var(--ra-warn);
  border-color: var(--ra-warn-border); }
.ra-src { border: 1px solid var(--ra-border); border-radius: 10px; padding: .65rem .85rem .6rem; margin: 0 0 .6rem;
  background: var(--ra-card); scroll-margin: .75rem; transition: box-shadow .4s, border-color .4s; }
.ra-src.ra-cited { border-left: 4px solid var(--ra-accent); }
.ra-src.ra-retrieved { opacity: .78; }
.ra-src.ra-retrieved:hover { opacity: 1; }
.ra-src.ra-nearest { border-style: dashed; }
.ra-src:target, .ra-src.ra-flash { box-shadow: 0 0 0 3px rgba(99,102,241,.45); border-color: var(--ra-accent);
  opacity: 1; }
.ra-src header { display: flex; gap: .55rem; align-items: baseline; }
.ra-num { flex: none; font-size: .76rem; font-weight: 600; color: var(--ra-accent); background: var(--ra-accent-soft);
  border-radius: 5px; padding: .05rem .42rem; }
.ra-title { font-weight: 600; line-height: 1.35; color: var(--ra-text); font-size: .93rem; }
.ra-src-meta { display: flex; flex-wrap: wrap; gap: .3rem .8rem; align-items: center; font-size: .74rem;
  color: var(--ra-muted); margin: .4rem 0 .45rem; }
.ra-badge { border-radius: 999px; padding: .06rem .55rem; background: var(--ra-soft);
  border: 1px solid var(--ra-border); font-weight: 500; }
.ra-badge.ra-cited { background: var(--ra-accent-soft); color: var(--ra-accent); border-color: transparent; }
.ra-badge.ra-not-evidence { background: var(--ra-warn-bg); color: var(--ra-warn); border-color: var(--ra-warn-border); }
.ra-sim { display: inline-flex; align-items: center; gap: .35rem; }
.ra-bar { display: inline-block; width: 46px; height: 6px; border-radius: 3px; background: var(--ra-border);
  overflow: hidden; }
.ra-bar i { display: block; height: 100%; background: #818cf8; }
.ra-score { font-variant-numeric: tabular-nums; }
.ra-src blockquote.ra-evidence, .ra-src blockquote.ra-passage { margin: 0 !important;
  padding: .05rem 0 .05rem .75rem; border-left: 3px solid var(--ra-border);
  font-size: .87rem; line-height: 1.55; color: var(--ra-text); }
blockquote.ra-evidence { border-left-color: #facc15; }
blockquote.ra-passage { color: var(--ra-muted); }
blockquote.ra-evidence p, blockquote.ra-passage p { margin: 0 0 .3rem; }
.ra-src:not(.ra-cited) blockquote.ra-passage p { display: -webkit-box; -webkit-box-orient: vertical;
  -webkit-line-clamp: 3; line-clamp: 3; overflow: hidden; }
.ra-byline { margin: .25rem 0 0; font-size: .78rem; line-height: 1.45; color: var(--ra-muted); }
.ra-byline > :not(:last-child)::after { content: " · "; color: var(--ra-muted); }
.ra-byline .ra-authors { color: var(--ra-text); }
a.ra-link { color: var(--ra-accent) !important; text-decoration: none !important; overflow-wrap: anywhere;
  padding: 0 !important; margin: 0 !important; }
a.ra-link::after { content: " \2197"; }
a.ra-link:hover, a.ra-link:focus-visible { text-decoration: underline !important; }
.ra-banner.ra-note { background: var(--ra-accent-soft); color: var(--ra-text); border-color: transparent; }
.ra-src mark, .ra-results mark { background: var(--ra-mark); color: inherit; padding: .02em .12em; border-radius: 3px; }
.ra-src mark.ra-kw, .ra-results mark.ra-kw { background: var(--ra-accent-soft); color: var(--ra-accent); }
details.ra-abstract summary { cursor: pointer; font-size: .78rem; color: var(--ra-accent); margin-top: .4rem;
  width: fit-content; }
details.ra-abstract p { font-size: .85rem; line-height: 1.55; margin: .35rem 0 0; color: var(--ra-text); }
details.ra-earlier { border-top: 1px solid var(--ra-border); padding-top: .55rem; margin-top: .8rem; }
details.ra-earlier > summary { cursor: pointer; font-size: .85rem; color: var(--ra-muted); margin-bottom: .5rem;
  overflow-wrap: anywhere; }

/* browse */
#ra-search-row { align-items: end; gap: .6rem; }
#ra-search-btn { align-self: flex-end; margin-bottom: .55rem; }
.ra-results { max-width: 980px; }
.ra-results-head { font-size: .9rem; color: var(--ra-muted); margin: .3rem 0 .7rem; }
.ra-snippet { font-size: .88rem; line-height: 1.55; margin: 0; color: var(--ra-text); }

@media (max-width: 900px) {
  #ra-sources { position: static; }
  .ra-sources-panel { max-height: none; }
}
@media (max-width: 640px) {
  #ra-topbar { flex-direction: column; align-items: stretch !important; gap: .35rem; }
  #ra-status { justify-content: flex-start; }
  .ra-brand h1 { font-size: 1.15rem; }
  .ra-brand p { font-size: .82rem; }
  .ra-log { padding: .7rem .6rem .9rem; min-height: 180px; }
  .ra-bubble { max-width: 94%; }
  #ra-composer > button { min-width: 56px !important; flex: none !important;
    padding-left: .6rem; padding-right: .6rem; }
  /* examples: one row that scrolls sideways instead of five stacked lines */
  #ra-examples { flex-wrap: nowrap !important; overflow-x: auto; scrollbar-width: none; }
  #ra-examples > * { flex: none !important; }
  button.ra-example { white-space: nowrap !important; }
}
"""

# Runs once when the conversation component mounts (gr.HTML js_on_load): scrolls the window so that a
# new question sits near its top (unless it is already in the upper part), where it stays above its
# answer as that streams in below it; and makes [n] links scroll the sources panel to their paper.
CHAT_JS = r"""
let asked = element.querySelectorAll('.ra-user').length;
const reveal = () => {
  const users = element.querySelectorAll('.ra-user');
  const last = users[users.length - 1];
  if (last && users.length > asked) {
    const box = last.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight * 0.45) {
      const still = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      last.scrollIntoView({behavior: still ? 'auto' : 'smooth', block: 'start'});
    }
  }
  asked = users.length;
};
if (typeof watch === 'function') { watch('value', reveal); }
new MutationObserver(reveal).observe(element, {childList: true, subtree: true});
element.addEventListener('click', (e) => {
  const a = e.target && e.target.closest ? e.target.closest('a.ra-cite') : null;
  if (!a) { return; }
  const target = document.getElementById(a.getAttribute('data-target') || '');
  if (!target) { return; }
  e.preventDefault();
  const box = target.closest('details');
  if (box) { box.open = true; }
  target.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  target.classList.remove('ra-flash');
  void target.offsetWidth;
  target.classList.add('ra-flash');
  setTimeout(() => target.classList.remove('ra-flash'), 2200);
});
"""
