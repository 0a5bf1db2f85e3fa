/** The report's stylesheet, inlined in report.html (light, print-friendly, no web fonts). */
export const REPORT_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; background: #f6f7f9; }
header { background: #1f2d3d; color: #fff; padding: 18px 28px 10px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header .run-id { font-weight: 400; opacity: 0.8; font-size: 16px; margin-left: 8px; }
header .sub { margin: 0 0 10px; opacity: 0.85; font-size: 12px; word-break: break-all; }
nav a { color: #cfe3ff; margin-right: 14px; text-decoration: none; font-size: 13px; }
main { padding: 8px 28px 28px; max-width: 1280px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 4px 20px 16px; margin: 16px 0; }
h2 { font-size: 18px; border-bottom: 1px solid #eee; padding-bottom: 6px; }
h3 { font-size: 15px; margin-top: 22px; }
h4 { font-size: 13px; margin: 16px 0 6px; color: #333; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f1f3f5; padding: 1px 4px; border-radius: 3px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 12.5px; }
th, td { border-bottom: 1px solid #eceef1; padding: 4px 10px 4px 0; text-align: left; vertical-align: top; }
th { font-weight: 600; color: #444; }
table.kv td:first-child { color: #555; width: 200px; }
.ci, .n { color: #777; font-size: 11px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #dfe4ea; border-radius: 8px; padding: 10px 16px; min-width: 180px; background: #fafbfd; }
.card .value { font-size: 22px; font-weight: 600; color: #1f4e79; }
.card .label { font-size: 12px; color: #555; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 8px 0; }
.stimuli { display: flex; flex-wrap: wrap; gap: 8px; }
.stimulus { width: 96px; text-align: center; font-size: 11px; margin: 0; }
.stimulus img, .example img { image-rendering: pixelated; width: 96px; height: 96px; border: 1px solid #ddd; background: #000; }
.example img { width: 140px; height: 140px; }
.missing { width: 96px; height: 96px; border: 1px dashed #c00; color: #c00; display: flex; align-items: center; justify-content: center; }
ul.expectations { list-style: none; padding-left: 0; }
ul.expectations li.holds { color: #1b7a3a; }
ul.expectations li.fails { color: #b3261e; }
svg.chart { background: #fff; max-width: 100%; height: auto; }
footer { color: #666; font-size: 12px; padding: 0 28px 28px; max-width: 1280px; }
@media print { body { background: #fff; } section { break-inside: avoid; border: none; } header { background: #fff; color: #000; } nav { display: none; } }
`;
