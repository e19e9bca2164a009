package report

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// The plots are drawn by hand in SVG, so that a report is one file that
// any browser shows offline, with no script and no dependency.

// Plot geometry, in SVG user units.
const (
	plotW, plotH                          = 560, 340
	marginL, marginR, marginT, marginB    = 64, 16, 34, 46
	innerW, innerH                        = plotW - marginL - marginR, plotH - marginT - marginB
	fontSize                              = 12
	legendLine, legendSwatch, legendInset = 16, 14, 8
)

// palette tells series apart; it is readable by most colour-blind readers
// (after Okabe and Ito).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

// series is a line (or, with points set, a scatter) of a plot.
type series struct {
	name   string
	x, y   []float64
	dashed bool
	points bool
}

// axes maps data to the plot area.
type axes struct {
	x0, x1, y0, y1 float64
}

func (a axes) px(x float64) float64 { return marginL + (x-a.x0)/(a.x1-a.x0)*innerW }
func (a axes) py(y float64) float64 { return marginT + innerH - (y-a.y0)/(a.y1-a.y0)*innerH }

// svgPlot draws series on shared axes with ticks, labels and a legend.
// Non-finite values are skipped, so that a diverged epoch leaves a gap
// rather than a broken plot.
func svgPlot(id, title, xlabel, ylabel string, ss []series, fixed *axes, diagonal bool) string {
	a := axes{math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)}
	for _, s := range ss {
		for i := range s.x {
			if finite(s.x[i]) && finite(s.y[i]) {
				a.x0, a.x1 = math.Min(a.x0, s.x[i]), math.Max(a.x1, s.x[i])
				a.y0, a.y1 = math.Min(a.y0, s.y[i]), math.Max(a.y1, s.y[i])
			}
		}
	}
	if fixed != nil {
		a = *fixed
	}
	if !finite(a.x0) { // nothing to draw
		a = axes{0, 1, 0, 1}
	}
	if diagonal { // the same scale on both axes
		a.x0, a.y0 = math.Min(a.x0, a.y0), math.Min(a.x0, a.y0)
		a.x1, a.y1 = math.Max(a.x1, a.y1), math.Max(a.x1, a.y1)
	}
	xt, yt := ticks(&a.x0, &a.x1), ticks(&a.y0, &a.y1)
	if xlabel == "epoch" {
		// Epochs are whole: a tick at 2.5 would name none.
		xt = slices.DeleteFunc(xt, func(t float64) bool { return t != math.Trunc(t) })
	}
	var b strings.Builder
	open(&b, id, title)
	for _, t := range xt {
		x := a.px(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, x, marginT, x, marginT+innerH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, marginT+innerH+16, label(t))
	}
	for _, t := range yt {
		y := a.py(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, marginL, y, marginL+innerW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`, marginL-6, y+4, label(t))
	}
	fmt.Fprintf(&b, `<rect class="frame" x="%d" y="%d" width="%d" height="%d"/>`, marginL, marginT, innerW, innerH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, marginL+innerW/2, plotH-8, esc(xlabel))
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle">%s</text>`, marginT+innerH/2, esc(ylabel))
	if diagonal {
		lo, hi := math.Max(a.x0, a.y0), math.Min(a.x1, a.y1)
		fmt.Fprintf(&b, `<line class="ref" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, a.px(lo), a.py(lo), a.px(hi), a.py(hi))
	}
	for i, s := range ss {
		c := palette[i%len(palette)]
		if s.points {
			fmt.Fprintf(&b, `<g fill="%s" fill-opacity="0.55">`, c)
			for j := range s.x {
				if finite(s.x[j]) && finite(s.y[j]) {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5"/>`, a.px(s.x[j]), a.py(s.y[j]))
				}
			}
			b.WriteString(`</g>`)
			continue
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts []string
		flush := func() {
			if len(pts) == 1 { // a lone point still shows
				fmt.Fprintf(&b, `<circle cx="%s" r="3" fill="%s"/>`, strings.Replace(pts[0], ",", `" cy="`, 1), c)
			} else if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, c, dash, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for j := range s.x {
			if !finite(s.x[j]) || !finite(s.y[j]) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", a.px(s.x[j]), a.py(s.y[j])))
		}
		flush()
	}
	legend(&b, ss, diagonal)
	b.WriteString("</svg>\n")
	return b.String()
}

// open starts an SVG with its id, an accessible title and the title drawn
// above the plot.
func open(b *strings.Builder, id, title string) {
	fmt.Fprintf(b, `<svg id="%s" class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-size="%d">`,
		esc(id), plotW, plotH, plotW, plotH, fontSize)
	fmt.Fprintf(b, `<title>%s</title><text class="title" x="%d" y="20" text-anchor="middle">%s</text>`, esc(title), plotW/2, esc(title))
}

// legend lists the series at the top right of the plot area, or at the
// bottom right on a plot with a diagonal, whose curves (ROC) or points
// (predicted against actual) run near the top right. A lone series is
// named too on such a plot, since its name carries the AUC.
func legend(b *strings.Builder, ss []series, diagonal bool) {
	if len(ss) == 0 || len(ss) == 1 && !diagonal {
		return
	}
	x := marginL + innerW - 170
	top := marginT + legendInset
	if diagonal {
		top = marginT + innerH - legendInset - (len(ss)-1)*legendLine - 4
	}
	for i, s := range ss {
		y := top + i*legendLine
		c := palette[i%len(palette)]
		if s.points {
			fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="4" fill="%s"/>`, x+legendSwatch/2, y, c)
		} else {
			dash := ""
			if s.dashed {
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, x, y, x+legendSwatch, y, c, dash)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`, x+legendSwatch+6, y+4, esc(s.name))
	}
}

// svgMatrix draws a confusion matrix as a heat map, counts in the cells,
// shaded by the share of the actual class's rows.
func svgMatrix(id, title string, classes []string, m [][]int) string {
	k := len(classes)
	const left, top = 120, 60
	cell := max(24, min(64, 380/max(k, 1)))
	w, h := left+k*cell+20, top+k*cell+40
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-size="%d">`,
		esc(id), w, h, w, h, fontSize)
	fmt.Fprintf(&b, `<title>%s</title><text class="title" x="%d" y="20" text-anchor="middle">%s</text>`, esc(title), w/2, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">predicted</text>`, left+k*cell/2, top-22)
	fmt.Fprintf(&b, `<text transform="translate(14 %d) rotate(-90)" text-anchor="middle">actual</text>`, top+k*cell/2)
	for i := range k {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, left+i*cell+cell/2, top-6, esc(short(classes[i])))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, top+i*cell+cell/2+4, esc(short(classes[i])))
	}
	for i := range k {
		total := 0
		for j := range k {
			total += at(m, i, j)
		}
		for j := range k {
			n := at(m, i, j)
			share := 0.0
			if total > 0 {
				share = float64(n) / float64(total)
			}
			fill := fmt.Sprintf("rgb(%d,%d,%d)", 255-int(255*share*0.9), 255-int(141*share*0.9), 255-int(77*share*0.9))
			text := "#000"
			if share > 0.6 {
				text = "#fff"
			}
			x, y := left+j*cell, top+i*cell
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="#999"/>`, x, y, cell, cell, fill)
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s">%d</text>`, x+cell/2, y+cell/2+4, text, n)
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// bars is a series of a bar chart: a value per name, NaN for none.
type bars struct {
	name   string
	values []float64
}

// svgBars draws a group of horizontal bars per name, one bar per series,
// each labelled with its value. The axis runs from 0 to hi, or to the
// largest value when hi is 0.
func svgBars(id, title, xlabel string, names []string, ss []bars, hi float64) string {
	const left, right, barH, gap = 150, 60, 10, 8
	top := 34
	if len(ss) > 1 {
		top += legendLine + 4 // the legend sits between the title and the bars
	}
	group := len(ss)*barH + gap
	bottom := top + len(names)*group
	w, h := plotW, bottom+46
	if hi <= 0 {
		for _, s := range ss {
			for _, v := range s.values {
				if finite(v) {
					hi = math.Max(hi, v)
				}
			}
		}
	}
	lo := 0.0
	xt := ticks(&lo, &hi)
	scale := func(v float64) float64 { return left + math.Max(v, 0)/hi*float64(w-left-right) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-size="%d">`,
		esc(id), w, h, w, h, fontSize)
	fmt.Fprintf(&b, `<title>%s</title><text class="title" x="%d" y="20" text-anchor="middle">%s</text>`, esc(title), w/2, esc(title))
	if len(ss) > 1 {
		x := left
		for i, s := range ss {
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, x, 30, legendSwatch, barH, palette[i%len(palette)])
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`, x+legendSwatch+6, 30+barH, esc(s.name))
			x += legendSwatch + 16 + 7*len([]rune(s.name))
		}
	}
	for _, t := range xt {
		x := scale(t)
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" y1="%d" x2="%.1f" y2="%d"/>`, x, top, x, bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, bottom+16, label(t))
	}
	fmt.Fprintf(&b, `<line class="frame" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, top, left, bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`, (left+w-right)/2, h-8, esc(xlabel))
	for i, n := range names {
		y := top + i*group + gap/2
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-6, y+len(ss)*barH/2+4, esc(short(n)))
		for k, s := range ss {
			v := nan
			if i < len(s.values) {
				v = s.values[i]
			}
			if !finite(v) {
				continue
			}
			yk := y + k*barH
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, left, yk, scale(v)-left, barH-1, palette[k%len(palette)])
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="10">%s</text>`, scale(v)+3, yk+barH-2, fmt.Sprintf("%.3g", v))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func at(m [][]int, i, j int) int {
	if i < len(m) && j < len(m[i]) {
		return m[i][j]
	}
	return 0
}

// ticks returns about five round values spanning [*lo, *hi], which it
// widens to them.
func ticks(lo, hi *float64) []float64 {
	if *hi <= *lo {
		d := math.Max(math.Abs(*lo)*0.1, 0.5)
		*lo, *hi = *lo-d, *hi+d
	}
	raw := (*hi - *lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	*lo, *hi = math.Floor(*lo/step)*step, math.Ceil(*hi/step)*step
	var out []float64
	for t := *lo; t <= *hi+step/2; t += step {
		out = append(out, math.Round(t/step)*step)
	}
	return out
}

func label(v float64) string {
	if v == 0 {
		return "0"
	}
	if a := math.Abs(v); a >= 1e5 || a < 1e-3 {
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.4g", v)
}

// short keeps a name to a width that fits beside a plot.
func short(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:19]) + "…"
	}
	return s
}

func esc(s string) string { return html.EscapeString(s) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

var nan = math.NaN()
