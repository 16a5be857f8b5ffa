package main

import (
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi of the PNGs: 11 in × 96 = 1056 px wide, sharp enough for a README.
const dpi = 96

func styleAxes(p *plot.Plot) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(11)
		a.Tick.Label.Font.Size = vg.Points(10)
	}
}

// render draws plots stacked top to bottom above a footnote of small grey
// lines and writes the PNG.
func render(file string, w, h vg.Length, plots []*plot.Plot, foot []string) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)

	sty := text.Style{
		Color:   color.Gray{Y: 0x50},
		Font:    font.From(plot.DefaultFont, vg.Points(8)),
		XAlign:  draw.XLeft,
		YAlign:  draw.YBottom,
		Handler: plot.DefaultTextHandler,
	}
	lh := sty.Height("Xg") * 1.25
	pad := vg.Points(6)
	y := dc.Min.Y + pad
	for i := len(foot) - 1; i >= 0; i-- {
		dc.FillText(sty, vg.Point{X: dc.Min.X + pad, Y: y}, foot[i])
		y += lh
	}
	area := draw.Crop(dc, pad, -pad, y-dc.Min.Y+pad/2, -pad/2)

	if len(plots) == 1 {
		plots[0].Draw(area)
	} else {
		grid := make([][]*plot.Plot, len(plots))
		for i, p := range plots {
			grid[i] = []*plot.Plot{p}
		}
		cs := plot.Align(grid, draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(12)}, area)
		for i, p := range plots {
			p.Draw(cs[i][0])
		}
	}

	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
