package report

import (
	"bytes"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pageData is what index.html shows.
type pageData struct {
	S           *Summary
	Name        string
	Description string
	Words       []string
	// Table is the main table (table.md's columns), Detail the rest of
	// the columns, each row named by its strategy and pool (nil when
	// there are none).
	Table, Detail *pageTable
	Caption       string
	Charts        []pageChart
	Notes         []string // charts not drawn, and why
	// Schedules says what each rate cell's schedule did (ScheduleLines).
	Schedules []string
	Requests  bool
	Machine   string
	Started   string
	Finished  string
	Complete  bool
}

// pageTable is one table of the page: its id, header, which columns are
// left-aligned, and rows.
type pageTable struct {
	ID     string
	Header []string
	Left   []bool
	Rows   []pageRow
}

// pageRow is one row of a page's table: its cells, and its class ("best"
// for the recommended row, "bound" for a harness-bound one) with the
// reason as a tooltip; Badge marks its first cell harness-bound.
type pageRow struct {
	Class, Title string
	Badge        bool
	Cells        []string
}

// newPageTable builds the page's table id over s's rows, of the columns
// whose Markdown header keep accepts; badges puts the harness-bound badge
// on bound rows. Nil when only key columns would show.
func newPageTable(s *Summary, id string, badges bool, keep func(md string) bool) *pageTable {
	t := &pageTable{ID: id}
	var cols []column
	for _, c := range columns(s) {
		if c.md != "" && keep(c.md) {
			cols = append(cols, c)
			t.Header = append(t.Header, c.md)
			t.Left = append(t.Left, c.left)
		}
	}
	if len(cols) <= len(keyColumns) {
		return nil
	}
	for _, row := range s.Rows {
		pr := pageRow{Badge: badges && row.HarnessBound}
		for _, c := range cols {
			pr.Cells = append(pr.Cells, c.value(row, false))
		}
		var class []string
		if row == s.Best {
			class = append(class, "best")
		}
		switch {
		case row.HarnessBound:
			class = append(class, "bound")
			pr.Title = "harness-bound: " + row.BoundReason
		case row.Explained != "":
			pr.Title = "explained by the model, not flagged: " + row.Explained
		}
		pr.Class = strings.Join(class, " ")
		t.Rows = append(t.Rows, pr)
	}
	return t
}

type pageChart struct {
	Name, Caption string
	Inline        template.HTML
}

// inlineSVG strips the XML prolog and comment gonum writes, so the SVG can
// sit inside HTML. The SVG is our own output, hence trusted.
func inlineSVG(svg []byte) template.HTML {
	s := string(svg)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return template.HTML(s)
}

func renderPage(s *Summary, charts []chart, requests bool, notes ...string) ([]byte, error) {
	r := s.Results
	d := pageData{
		S: s, Name: r.Scenario.Name, Description: r.Scenario.Description,
		Words: Describe(r.Scenario), Caption: s.Caption(), Requests: requests, Complete: r.Complete, Notes: notes,
		Schedules: ScheduleLines(r.Cells),
	}
	d.Table = newPageTable(s, "results", true, func(md string) bool { return !slices.Contains(detailColumns, md) })
	d.Detail = newPageTable(s, "detail", false, func(md string) bool {
		return slices.Contains(keyColumns, md) || slices.Contains(detailColumns, md)
	})
	for _, c := range charts {
		d.Charts = append(d.Charts, pageChart{Name: c.Name, Caption: c.Caption, Inline: inlineSVG(c.SVG)})
	}
	m := r.Machine
	d.Machine = m.GoVersion + " " + m.GOOS + "/" + m.GOARCH + ", " + strconv.Itoa(m.CPUs) + " CPUs"
	if m.GitRevision != "" {
		d.Machine += ", revision " + m.GitRevision
	}
	if !r.Started.IsZero() {
		d.Started = r.Started.UTC().Format(time.DateTime + " UTC")
	}
	if !r.Finished.IsZero() {
		d.Finished = r.Finished.UTC().Format(time.DateTime + " UTC")
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// indexItem is one scenario on reports/index.html.
type indexItem struct {
	Dir, Name, Description, Headline string
	Complete, HasPage                bool
}

func renderIndex(items []indexItem) ([]byte, error) {
	var b bytes.Buffer
	if err := indexTmpl.Execute(&b, items); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// pageHead starts both pages. The Content-Security-Policy forbids every
// load: the pages are self-contained, and a browser reports any attempt.
const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
`

const style = `
:root { --fg:#1d2330; --muted:#5b6475; --line:#e2e6ee; --accent:#1f77b4; --bg:#f6f8fb; }
* { box-sizing: border-box; }
body { margin:0; font: 15px/1.5 -apple-system, "Segoe UI", "Liberation Sans", Helvetica, Arial, sans-serif; color:var(--fg); background:var(--bg); }
main { max-width: 1240px; margin: 0 auto; padding: 28px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h1 small { color: var(--muted); font-weight: 400; font-size: 15px; }
h2 { font-size: 18px; margin: 36px 0 10px; }
h3 { font-size: 15px; margin: 22px 0 8px; }
p.lead { margin: 0 0 14px; color: var(--muted); }
.headline { background:#fff; border-left: 5px solid var(--accent); padding: 14px 18px; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
.headline strong { display:block; font-size: 19px; line-height: 1.4; }
.headline p { margin: 6px 0 0; color: var(--muted); }
.incomplete { background:#fff4e5; border:1px solid #f0b35b; padding:8px 12px; border-radius:6px; }
ul.words { margin: 8px 0 0; padding-left: 20px; color: var(--fg); }
.tablewrap { overflow-x: auto; background:#fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
table { border-collapse: collapse; font-size: 13px; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; text-align: right; white-space: nowrap; border-bottom: 1px solid var(--line); }
th { white-space: normal; vertical-align: bottom; }
th { background:#eef2f8; font-weight: 600; position: sticky; top: 0; }
th.l, td.l { text-align: left; }
tr.best td { background: #e8f3fc; font-weight: 600; }
tr.bound td { color: #7a5a00; background: #fff8e1; }
.badge { display:inline-block; font-size: 11px; font-weight: 600; color:#7a5a00; background:#ffe8a3; border-radius: 3px; padding: 0 5px; margin-left: 4px; }
.headline.failing { border-left-color: #c62828; }
p.caption { font-size: 13px; color: var(--muted); margin: 6px 2px 0; }
.charts { display: grid; grid-template-columns: minmax(0, 900px); justify-content: center; gap: 22px; }
figure { margin: 0; background:#fff; border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.08); padding: 10px; }
figure svg { display:block; width: 100%; height: auto; }
figcaption { font-size: 13px; color: var(--muted); padding: 6px 4px 0; }
figcaption a { color: var(--accent); }
ul.files { padding-left: 20px; }
a { color: var(--accent); }
footer { margin-top: 36px; font-size: 12px; color: var(--muted); }
`

var pageTmpl = template.Must(template.Must(template.New("page").Parse(tableTmpl)).Parse(pageHead + `<title>poolbench · {{.Name}}</title>
<style>` + style + `</style>
</head>
<body>
<main>
<h1>{{.Name}} <small>poolbench report</small></h1>
{{with .Description}}<p class="lead">{{.}}</p>{{end}}
{{if not .Complete}}<p class="incomplete">This run was interrupted: the figures cover only the cells measured.</p>{{end}}
<section class="headline{{if .S.Failing}} failing{{end}}" id="headline">
<strong>{{.S.Headline}}</strong>
{{range .S.Details}}<p>{{.}}</p>
{{end}}</section>

<h2>The scenario</h2>
<ul class="words" id="scenario">
{{range .Words}}<li>{{.}}</li>
{{end}}</ul>

<h2>Results</h2>
{{template "table" .Table}}
<p class="caption">{{.Caption}}{{if .S.Best}} The highlighted row is the recommended pool.{{end}}</p>
{{with .Schedules}}<ul class="schedules" id="schedules">
{{range .}}<li>{{.}}</li>
{{end}}</ul>
{{end}}{{with .Detail}}
<h3>Every figure per cell</h3>
{{template "table" .}}
<p class="caption">The columns the table above leaves out, as table.csv has them.</p>
{{end}}
<h2>Charts</h2>
<div class="charts">
{{range .Charts}}<figure id="chart-{{.Name}}">
{{.Inline}}<figcaption>{{.Caption}} <a href="charts/{{.Name}}.png">PNG</a> · <a href="charts/{{.Name}}.svg">SVG</a></figcaption>
</figure>
{{end}}</div>
{{range .Notes}}<p class="note chart-missing">{{.}}</p>
{{end}}
<h2>Files</h2>
<ul class="files" id="files">
<li><a href="results.json">results.json</a>: the run, every cell (schema {{.S.Results.Schema}})</li>
{{if .Requests}}<li><a href="requests.jsonl">requests.jsonl</a>: every attempt as a vegeta result (<code>vegeta report</code> and <code>vegeta plot</code> read it)</li>
{{end}}<li><a href="table.md">table.md</a>: this table in Markdown, for a pull request</li>
<li><a href="table.csv">table.csv</a>: the table with plain numbers, for a spreadsheet</li>
</ul>
<footer>Run on {{.Machine}}{{with .Started}}, started {{.}}{{end}}{{with .Finished}}, finished {{.}}{{end}}. Rendered from results.json by <code>poolbench report</code>.</footer>
</main>
</body>
</html>
`))

// tableTmpl renders a pageTable.
const tableTmpl = `{{define "table"}}<div class="tablewrap">
<table id="{{.ID}}">
<thead><tr>{{range $i, $h := .Header}}<th{{if index $.Left $i}} class="l"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range $row := .Rows}}<tr{{with .Class}} class="{{.}}"{{end}}{{with .Title}} title="{{.}}"{{end}}>{{range $i, $c := .Cells}}<td{{if index $.Left $i}} class="l"{{end}}>{{$c}}{{if and (eq $i 0) $row.Badge}} <span class="badge">harness-bound</span>{{end}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</div>{{end}}`

var indexTmpl = template.Must(template.New("index").Parse(pageHead + `<title>poolbench reports</title>
<style>` + style + `
li.scenario { margin: 0 0 18px; list-style: none; }
ul.scenarios { padding: 0; }
</style>
</head>
<body>
<main>
<h1>poolbench reports</h1>
<p class="lead">One folder per scenario; each page shows the scenario, its headline, the table and the charts.</p>
<ul class="scenarios" id="scenarios">
{{range .}}<li class="scenario headline"><strong>{{if .HasPage}}<a href="{{.Dir}}/index.html">{{.Name}}</a>{{else}}{{.Name}}{{end}}{{if ne .Dir .Name}} <small>(folder {{.Dir}})</small>{{end}}</strong>
<p>{{.Headline}}{{if not .Complete}} (interrupted run){{end}}</p>
{{with .Description}}<p>{{.}}</p>{{end}}
<p><a href="{{.Dir}}/results.json">results.json</a> · <a href="{{.Dir}}/table.md">table.md</a> · <a href="{{.Dir}}/table.csv">table.csv</a></p>
</li>
{{end}}</ul>
</main>
</body>
</html>
`))
