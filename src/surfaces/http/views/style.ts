/** @module The dashboard's style sheet, inlined in every page: no external assets. */

export const CSS = `
:root {
  --bg: #f5f6f8; --surface: #fff; --ink: #151922; --muted: #5c6675; --faint: #8a94a3; --line: #e1e5eb; --line-strong: #cbd2db;
  --accent: #3346c9; --accent-hover: #2636a8; --accent-bg: #eef0fd; --focus: #6e7ff3;
  --ok: #1c7c3c; --ok-bg: #e5f4ea; --bad: #b3261e; --bad-bg: #fcebea; --warn: #9a5b00; --warn-bg: #fff3dc;
  --stale: #6a7280; --stale-bg: #eef0f3; --cur: #1f5fbf; --cur-bg: #e6effc; --info: #7048b8; --info-bg: #f1ebfb;
  --top: #121826; --top-ink: #e8ebf2; --top-muted: #9aa3b5;
  --radius: 10px; --shadow: 0 1px 2px rgba(16, 24, 40, .05), 0 1px 3px rgba(16, 24, 40, .06);
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-underline-offset: 2px; }
a:hover { color: var(--accent-hover); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
code, pre, .mono { font-family: var(--mono); font-size: 13px; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h1 { font-size: 24px; font-weight: 650; letter-spacing: -.01em; }
h2 { font-size: 17px; font-weight: 640; }
h3 { font-size: 15px; font-weight: 640; }
p { margin: 0 0 .6em; }
.skip { position: absolute; left: 12px; top: -48px; z-index: 10; background: var(--surface); color: var(--accent); padding: 8px 14px; border-radius: 8px; box-shadow: var(--shadow); font-weight: 600; }
.skip:focus { top: 10px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

/* Top bar */
.top { background: var(--top); color: var(--top-ink); }
.top-inner { max-width: 1240px; margin: 0 auto; padding: 0 24px; display: flex; align-items: center; gap: 28px; min-height: 56px; flex-wrap: wrap; }
.brand { display: flex; align-items: center; gap: 10px; font-weight: 700; font-size: 16px; letter-spacing: .01em; color: #fff; text-decoration: none; white-space: nowrap; }
.brand:hover { color: #fff; }
.brand svg { flex: none; }
.brand .repo { font-weight: 500; color: var(--top-muted); font-size: 13px; max-width: 220px; overflow: hidden; text-overflow: ellipsis; }
.nav { display: flex; gap: 4px; flex-wrap: wrap; }
.nav a { color: var(--top-muted); text-decoration: none; padding: 7px 12px; border-radius: 8px; font-weight: 550; font-size: 14px; display: inline-flex; align-items: center; gap: 6px; }
.nav a:hover { color: #fff; background: rgba(255, 255, 255, .07); }
.nav a[aria-current="page"] { color: #fff; background: rgba(255, 255, 255, .13); }
.nav .count { background: #f59f0b; color: #1b1300; font-size: 12px; font-weight: 700; border-radius: 999px; padding: 0 7px; line-height: 18px; }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; font-size: 13px; color: var(--top-muted); white-space: nowrap; }
.live .dot { width: 8px; height: 8px; border-radius: 50%; background: #5f6b80; }
.live[data-state="on"] .dot { background: #3ccf6e; box-shadow: 0 0 0 3px rgba(60, 207, 110, .18); }
.live[data-state="off"] .dot { background: #f0a030; }

/* Page */
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 56px; display: block; }
main:focus { outline: none; }
.page-head { display: flex; align-items: flex-start; justify-content: space-between; gap: 16px; flex-wrap: wrap; margin-bottom: 20px; }
.page-head .lede { color: var(--muted); margin: 6px 0 0; max-width: 70ch; }
.crumbs { font-size: 13px; color: var(--muted); margin-bottom: 6px; }
.crumbs a { color: var(--muted); }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.section { margin-top: 22px; }
.section > .section-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; flex-wrap: wrap; margin-bottom: 10px; }
.section-head p { color: var(--muted); margin: 2px 0 0; font-size: 14px; }
.card { background: var(--surface); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); }
.card-pad { padding: 18px 20px; }
.grid { display: grid; gap: 16px; }
.grid-3 { grid-template-columns: repeat(3, minmax(0, 1fr)); }
.grid-2 { grid-template-columns: repeat(2, minmax(0, 1fr)); }
.muted { color: var(--muted); }
.faint { color: var(--faint); }
.small { font-size: 13px; }
.nowrap { white-space: nowrap; }
.empty { padding: 36px 20px; text-align: center; color: var(--muted); }
.empty strong { display: block; color: var(--ink); font-size: 16px; margin-bottom: 4px; }

/* Meta list */
.meta { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 14px 0 0; padding: 0; }
.meta div { min-width: 0; }
.meta dt { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--faint); font-weight: 600; }
.meta dd { margin: 2px 0 0; font-weight: 550; }

/* Badges */
.badge { display: inline-flex; align-items: center; gap: 5px; font-size: 12.5px; font-weight: 600; padding: 2px 9px; border-radius: 999px; background: var(--stale-bg); color: var(--stale); white-space: nowrap; line-height: 1.5; }
.badge.ok, .badge.passed, .badge.matches, .badge.done { background: var(--ok-bg); color: var(--ok); }
.badge.bad, .badge.refused, .badge.changed, .badge.missing, .badge.aborted, .badge.broken { background: var(--bad-bg); color: var(--bad); }
.badge.warn, .badge.pending, .badge.requested, .badge.escalated, .badge.unrecorded, .badge.edited { background: var(--warn-bg); color: var(--warn); }
.badge.cur, .badge.current, .badge.active { background: var(--cur-bg); color: var(--cur); }
.badge.info { background: var(--info-bg); color: var(--info); }
.badge.phase { background: var(--accent-bg); color: var(--accent); font-family: var(--mono); font-size: 12px; letter-spacing: .02em; }
.flags { display: flex; gap: 6px; flex-wrap: wrap; }

/* Buttons and forms */
.btn { appearance: none; border: 1px solid transparent; background: var(--accent); color: #fff; font: inherit; font-weight: 600; font-size: 14px; padding: 8px 14px; border-radius: 8px; cursor: pointer; display: inline-flex; align-items: center; gap: 6px; text-decoration: none; line-height: 1.3; }
.btn:hover { background: var(--accent-hover); color: #fff; }
.btn.secondary { background: var(--surface); color: var(--ink); border-color: var(--line-strong); }
.btn.secondary:hover { background: #f0f2f5; color: var(--ink); }
.btn.ok { background: var(--ok); }
.btn.ok:hover { background: #16652f; }
.btn.danger { background: var(--surface); color: var(--bad); border-color: #efb7b2; }
.btn.danger:hover { background: var(--bad-bg); }
.btn.warn { background: var(--surface); color: var(--warn); border-color: #ecc98d; }
.btn.warn:hover { background: var(--warn-bg); }
.btn[disabled] { opacity: .55; cursor: not-allowed; }
label { font-weight: 600; font-size: 13px; color: var(--ink); }
input[type="text"], input[type="search"], input[type="password"], select, textarea {
  font: inherit; font-size: 14px; color: var(--ink); background: var(--surface); border: 1px solid var(--line-strong); border-radius: 8px; padding: 7px 10px; min-height: 36px; max-width: 100%;
}
textarea { width: 100%; min-height: 72px; resize: vertical; }
input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid var(--focus); outline-offset: 0; border-color: var(--accent); }
.toolbar { display: flex; gap: 10px; align-items: flex-end; flex-wrap: wrap; }
.field { display: flex; flex-direction: column; gap: 4px; }
.field.grow { flex: 1 1 220px; }
.field input[type="search"] { width: 100%; }
.status-msg { font-size: 14px; margin-top: 8px; min-height: 1.5em; }
.status-msg.ok { color: var(--ok); }
.status-msg.bad { color: var(--bad); }
#flash { margin: 0 0 16px; padding: 10px 14px; border-radius: 8px; background: var(--ok-bg); font-weight: 600; }
#flash.bad { background: var(--bad-bg); }
#flash:empty { display: none; }

/* Tables */
.table-wrap { overflow-x: auto; }
table.data { width: 100%; border-collapse: collapse; font-size: 14px; }
table.data th { text-align: left; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--faint); font-weight: 650; padding: 10px 14px; border-bottom: 1px solid var(--line); background: #fafbfc; white-space: nowrap; }
table.data td { padding: 11px 14px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.data tr:last-child td { border-bottom: 0; }
table.data tbody tr:hover { background: #fafbff; }
table.data tbody tr:target { background: #fff8db; box-shadow: inset 3px 0 0 #f59f0b; }
table.data .id { font-weight: 650; font-family: var(--mono); font-size: 13.5px; }
table.data .title { color: var(--muted); font-size: 13.5px; margin-top: 2px; max-width: 44ch; overflow: hidden; text-overflow: ellipsis; }
table.data.fixed { table-layout: fixed; }
table.data.fixed td { overflow: hidden; text-overflow: ellipsis; }
table.data .digest { white-space: nowrap; }
table.data td.num, table.data th.num { text-align: right; font-variant-numeric: tabular-nums; }

/* Phase progress */
.pips { display: inline-flex; gap: 3px; vertical-align: middle; margin-left: 8px; }
.pips i { width: 8px; height: 8px; border-radius: 2px; background: var(--line); display: block; }
.pips i.done { background: #9fb3f0; }
.pips i.now { background: var(--accent); }

/* Timeline */
.phasebar { display: flex; gap: 3px; align-items: stretch; margin: 4px 0 12px; min-height: 52px; }
.phasebar .seg { flex: 1 1 0; min-width: 34px; border-radius: 6px; padding: 6px 8px; font-size: 12px; line-height: 1.3; overflow: hidden; border: 1px solid transparent; position: relative; }
.phasebar .seg b { display: block; font-family: var(--mono); font-size: 11.5px; letter-spacing: .02em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.phasebar .seg span { color: inherit; opacity: .85; white-space: nowrap; }
.seg.passed { background: var(--ok-bg); color: var(--ok); }
.seg.stale { background: repeating-linear-gradient(135deg, var(--stale-bg), var(--stale-bg) 6px, #e4e7ec 6px, #e4e7ec 12px); color: var(--stale); }
.seg.current { background: var(--cur-bg); color: var(--cur); border-color: #a9c5f2; }
.seg.refused { background: var(--bad-bg); color: var(--bad); }
.phasebar .back { align-self: center; color: var(--warn); font-weight: 700; font-size: 16px; padding: 0 2px; }
.history { list-style: none; margin: 0; padding: 0; }
.history li { display: grid; grid-template-columns: 92px 118px 1fr auto; gap: 12px; padding: 9px 16px; border-bottom: 1px solid var(--line); font-size: 14px; align-items: baseline; }
.history li:last-child { border-bottom: 0; }
.history li.k-backtrack { background: var(--warn-bg); }
.history li.k-violation, .history li.k-tool_blocked { background: #fff8f7; }
.history .when { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 13px; }
.history .kind { font-family: var(--mono); font-size: 12px; color: var(--muted); }
.history .seq { font-family: var(--mono); font-size: 12.5px; }
.phase-times { display: grid; grid-template-columns: repeat(auto-fill, minmax(100px, 1fr)); gap: 8px; margin: 0; }
.phase-times div { border: 1px solid var(--line); border-radius: 8px; padding: 8px 10px; background: #fbfcfd; }
.phase-times dt { font-family: var(--mono); font-size: 11.5px; color: var(--muted); letter-spacing: .02em; }
.phase-times dd { margin: 2px 0 0; font-weight: 650; font-variant-numeric: tabular-nums; }
.phase-times dd span { font-weight: 500; color: var(--faint); font-size: 12.5px; }
.phase-times .none { opacity: .55; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; font-size: 14px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }

/* Graph */
.graph-card { padding: 0; overflow: hidden; }
.graph-tools { display: flex; gap: 16px; align-items: flex-end; justify-content: space-between; flex-wrap: wrap; padding: 14px 18px; border-bottom: 1px solid var(--line); }
.legend { display: flex; gap: 12px; flex-wrap: wrap; font-size: 12.5px; color: var(--muted); }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend i { width: 12px; height: 12px; border-radius: 3px; display: inline-block; border: 1.5px solid; }
.legend .passed { background: var(--ok-bg); border-color: var(--ok); }
.legend .refused { background: var(--bad-bg); border-color: var(--bad); }
.legend .stale { background: var(--stale-bg); border-color: var(--stale); border-style: dashed; }
.legend .current { background: var(--cur-bg); border-color: var(--cur); }
.legend .pending { background: var(--warn-bg); border-color: var(--warn); }
.legend .back { border: 0; border-top: 2px dashed var(--warn); border-radius: 0; height: 0; width: 18px; }
.graph-hint { display: none; font-size: 12.5px; color: var(--faint); padding: 8px 18px 0; }
.graph-scroll { overflow: auto; background: linear-gradient(#fbfcfd, #fbfcfd); max-height: 72vh; }
svg.graph { display: block; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
svg.graph .colhead { font-size: 11px; font-weight: 650; letter-spacing: .06em; fill: var(--faint); font-family: var(--mono); }
svg.graph .guide { stroke: #eef0f4; stroke-width: 1; }
svg.graph .lane-label { font-size: 11px; fill: var(--faint); }
svg.graph .edge { fill: none; stroke: #aab3c2; stroke-width: 1.5; }
svg.graph .edge.forward { stroke: #7d8aa0; stroke-width: 1.75; }
svg.graph .edge.backtrack { stroke: var(--warn); stroke-width: 2; stroke-dasharray: 6 4; }
svg.graph .node rect { stroke-width: 1.5; }
svg.graph .node .l { font-size: 12px; font-weight: 650; }
svg.graph .node .s { font-size: 10.5px; opacity: .85; }
svg.graph .node.k-phase .l { font-size: 12.5px; font-family: var(--mono); letter-spacing: .01em; }
svg.graph .node.k-command .l { font-weight: 550; font-size: 11.5px; }
svg.graph .o-passed rect { fill: var(--ok-bg); stroke: #6fbf8a; } svg.graph .o-passed text { fill: #135a2b; }
svg.graph .o-refused rect { fill: var(--bad-bg); stroke: #e08a84; } svg.graph .o-refused text { fill: #8c1c15; }
svg.graph .o-stale rect { fill: var(--stale-bg); stroke: #a3aab5; stroke-dasharray: 4 3; } svg.graph .o-stale text { fill: #4e5562; }
svg.graph .o-current rect { fill: var(--cur-bg); stroke: #5b8fdc; } svg.graph .o-current text { fill: #164a96; }
svg.graph .o-pending rect { fill: var(--warn-bg); stroke: #e2aa4d; } svg.graph .o-pending text { fill: #7a4700; }
svg.graph .o-info rect { fill: #fff7e8; stroke: var(--warn); } svg.graph .o-info text { fill: #7a4700; }
svg.graph .k-phase rect { stroke-width: 2; }
svg.graph .k-end rect { stroke-width: 2; }
svg.graph a.node:hover rect { filter: brightness(.97); stroke-width: 2.5; }
svg.graph a.node:focus { outline: none; }
svg.graph a.node:focus-visible rect { stroke: var(--focus); stroke-width: 3.5; }
svg.graph a.node.sel rect { stroke: var(--accent); stroke-width: 3; }
svg.graph .count { font-size: 11px; font-weight: 700; }
.detail { border-top: 1px solid var(--line); padding: 18px 20px; background: var(--surface); }
.detail h3 { margin-bottom: 10px; display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.detail .cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 20px; }
.detail h4 { margin: 0 0 8px; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--faint); }
pre.json { background: #f7f8fa; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; overflow: auto; max-height: 360px; margin: 0; line-height: 1.45; }
.json .k { color: #1d4ea8; } .json .s { color: #1c6b37; } .json .n { color: #a34a00; } .json .b { color: #7a3db8; } .json .z { color: #8a94a3; }
ul.plain { list-style: none; padding: 0; margin: 0; }
.wall-lines { display: grid; gap: 8px; }
ul.artifacts li { display: flex; gap: 8px; align-items: center; justify-content: space-between; padding: 6px 0; border-bottom: 1px dashed var(--line); flex-wrap: wrap; }
ul.artifacts li:last-child { border-bottom: 0; }

/* Evidence */
.artifact-head { display: flex; gap: 12px; flex-wrap: wrap; align-items: center; }
.digest { font-family: var(--mono); font-size: 12.5px; color: var(--muted); overflow-wrap: anywhere; }
.markdown { padding: 8px 28px 20px; max-width: 82ch; }
.markdown h1 { font-size: 22px; margin: 18px 0 10px; } .markdown h2 { font-size: 18px; margin: 22px 0 8px; } .markdown h3 { margin: 18px 0 6px; }
.markdown p, .markdown li { line-height: 1.6; }
.markdown pre { background: #f7f8fa; padding: 12px; border-radius: 8px; overflow: auto; border: 1px solid var(--line); }
.markdown code { background: #f1f3f6; padding: 1px 5px; border-radius: 4px; }
.markdown pre code { background: none; padding: 0; }
.markdown table { border-collapse: collapse; } .markdown td, .markdown th { border: 1px solid var(--line); padding: 5px 9px; }
.markdown blockquote { margin: 0; padding-left: 14px; border-left: 3px solid var(--line-strong); color: var(--muted); }
.code-view { font-family: var(--mono); font-size: 12.5px; line-height: 1.55; overflow: auto; max-height: 75vh; }
.code-view table { border-collapse: collapse; width: 100%; }
.code-view td { padding: 0 12px; white-space: pre; vertical-align: top; }
.code-view td.ln { color: var(--faint); text-align: right; user-select: none; width: 1%; border-right: 1px solid var(--line); background: #fafbfc; }
.code-view tr.hidden { display: none; }
.code-view mark { background: #ffe58a; color: inherit; border-radius: 2px; }
.diff .add td.code { background: #e8f6ec; color: #14532d; } .diff .add td.ln { background: #d6efdd; }
.diff .del td.code { background: #fdecec; color: #7f1d1d; } .diff .del td.ln { background: #f9d9d8; }
.diff .hunk td.code { background: #eef2fd; color: #3346c9; }
.diff .file td.code { background: #f1f3f6; font-weight: 700; color: var(--ink); }
.diff .file td { border-top: 1px solid var(--line); }
.diff .meta td.code { color: var(--faint); }
.diffstat { display: flex; gap: 10px; font-family: var(--mono); font-size: 13px; }
.diffstat .a { color: var(--ok); font-weight: 700; } .diffstat .d { color: var(--bad); font-weight: 700; }
.phase-group { margin-top: 14px; }
.phase-group h3 { font-family: var(--mono); font-size: 13px; letter-spacing: .03em; color: var(--muted); margin: 0 0 6px; }

/* Metrics */
.stat { padding: 16px 18px; }
.stat .label { font-size: 13px; color: var(--muted); font-weight: 600; }
.stat .value { font-size: 28px; font-weight: 700; letter-spacing: -.02em; margin: 4px 0 2px; font-variant-numeric: tabular-nums; }
.stat .goal { font-size: 13px; color: var(--muted); }
.stat.met { border-top: 3px solid var(--ok); } .stat.missed { border-top: 3px solid var(--bad); } .stat.nodata { border-top: 3px solid var(--line-strong); }
.spark { display: block; width: 100%; height: 44px; }
.spark rect { fill: #9aa9e8; } .spark rect.hot { fill: var(--accent); } .spark .base { stroke: var(--line); }
.counter-grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 14px; }
.counter { padding: 14px 16px; }
.counter .name { font-family: var(--mono); font-size: 12.5px; color: var(--muted); overflow-wrap: anywhere; }
.counter .total { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }

/* Approvals */
.approval { margin-bottom: 18px; }
.approval-head { display: flex; justify-content: space-between; gap: 12px; flex-wrap: wrap; align-items: flex-start; padding: 16px 20px; border-bottom: 1px solid var(--line); }
.approval-body { display: grid; grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr); gap: 0; }
.approval-body > div { padding: 16px 20px; }
.approval-body > div + div { border-left: 1px solid var(--line); }
.reasons { margin: 0; padding-left: 18px; }
.reasons li { margin: 3px 0; }
details summary { cursor: pointer; padding: 4px 0; }
details summary:focus-visible { outline: 3px solid var(--focus); }
.decide .row { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 12px; }
.decide .row .danger { margin-left: auto; }
.who { display: flex; gap: 14px; flex-wrap: wrap; align-items: flex-end; }
.notice { padding: 12px 16px; border-radius: 8px; background: var(--warn-bg); color: #6a4100; font-size: 14px; }
.notice.ok { background: var(--ok-bg); color: var(--ok); }

footer { max-width: 1240px; margin: 0 auto; padding: 0 24px 32px; color: var(--faint); font-size: 12.5px; }

@media (max-width: 900px) {
  .grid-3 { grid-template-columns: 1fr; }
  .counter-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .grid-2, .detail .cols, .approval-body { grid-template-columns: 1fr; }
  .approval-body > div + div { border-left: 0; border-top: 1px solid var(--line); }
}
@media (max-width: 720px) {
  body { font-size: 14.5px; }
  .top-inner { padding: 8px 14px; gap: 8px 16px; }
  .nav { order: 3; width: 100%; overflow-x: auto; flex-wrap: nowrap; margin: 0 -6px; gap: 0; }
  .nav a { padding: 6px 6px; font-size: 13px; gap: 4px; }
  .nav .count { padding: 0 5px; }
  .live { margin-left: auto; }
  .brand .repo { display: none; }
  main { padding: 18px 14px 40px; }
  h1 { font-size: 21px; }
  table.responsive thead { display: none; }
  table.responsive, table.responsive tbody, table.responsive tr, table.responsive td { display: block; width: 100%; }
  table.responsive tr { border-bottom: 1px solid var(--line); padding: 8px 0; }
  table.responsive td { border: 0; padding: 4px 14px; display: flex; justify-content: space-between; gap: 12px; text-align: right; }
  table.responsive td::before { content: attr(data-label); color: var(--faint); font-size: 12px; text-transform: uppercase; letter-spacing: .05em; font-weight: 650; text-align: left; flex: none; }
  table.responsive td.primary { display: block; text-align: left; padding-top: 6px; }
  table.responsive td.primary::before { content: none; }
  table.responsive td.num { text-align: right; }
  table.responsive td.hide-narrow { display: none; }
  .history li { grid-template-columns: 1fr auto; gap: 2px 10px; padding: 10px 14px; }
  .history .text { grid-column: 1 / -1; }
  .phasebar { flex-wrap: wrap; }
  .phasebar .seg { flex: 1 1 70px; }
  .markdown { padding: 4px 16px 16px; }
  .kv { grid-template-columns: 1fr; gap: 0 0; }
  .counter-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .counter { padding: 12px; }
  .counter .name { font-size: 11.5px; }
  table.data.fixed { table-layout: auto; }
  .graph-hint { display: block; }
  .kv dd { margin-bottom: 6px; }
}
`;
