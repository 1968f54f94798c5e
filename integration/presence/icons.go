package presence

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"sync"
)

// Icon sizes in pixels (square).
const (
	Small = 16
	Large = 32
)

// MaxIconSet is the highest alternate set the presence URL's R_OP
// selects; set 0 is the default.
const MaxIconSet = 5

// The built-in icons are drawn from a vector description at both sizes
// (4x4 supersampled, so edges are anti-aliased but crisp) the first time
// one is asked for, then kept as PNG bytes. Every state has its own
// shape, not only its own colour, so they read without colour vision:
// available a check mark, chat three dots, away clock hands on a filled
// disc, xa clock hands in an outline, dnd a bar (no entry), offline a
// cross in an outline, forbidden a padlock, error a warning triangle.
// Colours are from the Okabe-Ito palette (distinguishable with the
// common colour-vision deficiencies).
//
// The sets: 0 round, 1 square, 2 round monochrome, 3 square
// monochrome, 4 round with a white halo (dark pages), 5 square with a
// white halo.

type iconKey struct {
	set  int
	st   State
	size int
}

var (
	iconsOnce sync.Once
	icons     map[iconKey][]byte
)

// Icon returns the PNG of a state in an icon set (0..MaxIconSet) at a
// size (Small or Large); out-of-range sets fall back to 0 and unknown
// sizes to Small. Unknown states draw as Error.
func Icon(set int, st State, size int) []byte {
	iconsOnce.Do(renderIcons)
	if set < 0 || set > MaxIconSet {
		set = 0
	}
	if size != Large {
		size = Small
	}
	if b, ok := icons[iconKey{set, st, size}]; ok {
		return b
	}
	return icons[iconKey{set, Error, size}]
}

func renderIcons() {
	icons = make(map[iconKey][]byte)
	for set := 0; set <= MaxIconSet; set++ {
		for _, st := range States {
			for _, size := range []int{Small, Large} {
				icons[iconKey{set, st, size}] = encodePNG(render(design(set, st), size))
			}
		}
	}
}

// shape reports whether a point of the unit square (y down) is inside.
type shape func(x, y float64) bool

type layer struct {
	in shape
	c  color.NRGBA
}

func disc(cx, cy, r float64) shape {
	return func(x, y float64) bool { return math.Hypot(x-cx, y-cy) <= r }
}

func ring(cx, cy, r, w float64) shape {
	return func(x, y float64) bool { return math.Abs(math.Hypot(x-cx, y-cy)-r) <= w/2 }
}

func roundRect(x0, y0, x1, y1, rad float64) shape {
	return func(x, y float64) bool {
		dx := math.Max(math.Max(x0+rad-x, x-(x1-rad)), 0)
		dy := math.Max(math.Max(y0+rad-y, y-(y1-rad)), 0)
		return x >= x0 && x <= x1 && y >= y0 && y <= y1 && math.Hypot(dx, dy) <= rad
	}
}

// frame is the outline of a rounded rectangle, w wide.
func frame(x0, y0, x1, y1, rad, w float64) shape {
	outer, inner := roundRect(x0, y0, x1, y1, rad), roundRect(x0+w, y0+w, x1-w, y1-w, math.Max(rad-w, 0))
	return func(x, y float64) bool { return outer(x, y) && !inner(x, y) }
}

// stroke is a segment with round caps, w wide.
func stroke(ax, ay, bx, by, w float64) shape {
	return func(x, y float64) bool {
		vx, vy := bx-ax, by-ay
		t := ((x-ax)*vx + (y-ay)*vy) / (vx*vx + vy*vy)
		t = math.Max(0, math.Min(1, t))
		return math.Hypot(x-(ax+t*vx), y-(ay+t*vy)) <= w/2
	}
}

func triangle(ax, ay, bx, by, cx, cy float64) shape {
	side := func(px, py, qx, qy, x, y float64) float64 { return (qx-px)*(y-py) - (qy-py)*(x-px) }
	return func(x, y float64) bool {
		d1, d2, d3 := side(ax, ay, bx, by, x, y), side(bx, by, cx, cy, x, y), side(cx, cy, ax, ay, x, y)
		neg := d1 < 0 || d2 < 0 || d3 < 0
		pos := d1 > 0 || d2 > 0 || d3 > 0
		return !(neg && pos)
	}
}

func union(shapes ...shape) shape {
	return func(x, y float64) bool {
		for _, s := range shapes {
			if s(x, y) {
				return true
			}
		}
		return false
	}
}

func clipAbove(s shape, maxY float64) shape {
	return func(x, y float64) bool { return y <= maxY && s(x, y) }
}

var (
	white     = color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	green     = color.NRGBA{0x00, 0x9E, 0x73, 0xFF} // Okabe-Ito bluish green
	orange    = color.NRGBA{0xE6, 0x9F, 0x00, 0xFF} // Okabe-Ito orange
	vermilion = color.NRGBA{0xD5, 0x5E, 0x00, 0xFF} // Okabe-Ito vermilion
	yellow    = color.NRGBA{0xF0, 0xE4, 0x42, 0xFF} // Okabe-Ito yellow
	grey      = color.NRGBA{0x80, 0x80, 0x80, 0xFF}
	dark      = color.NRGBA{0x33, 0x33, 0x33, 0xFF}
	black     = color.NRGBA{0x11, 0x11, 0x11, 0xFF}
)

// design returns the layers of one icon, bottom first.
func design(set int, st State) []layer {
	square := set%2 == 1
	mono := set == 2 || set == 3
	halo := set >= 4
	paint := func(c color.NRGBA) color.NRGBA {
		if !mono {
			return c
		}
		switch c {
		case orange:
			return color.NRGBA{0x66, 0x66, 0x66, 0xFF}
		case grey, white:
			return c
		case yellow:
			return white
		}
		return black
	}
	const r = 0.42 // base radius: room for a halo inside the unit square
	base := disc(0.5, 0.5, r)
	outline := ring(0.5, 0.5, r-0.05, 0.1)
	haloShape := disc(0.5, 0.5, r+0.07)
	if square {
		base = roundRect(0.5-r, 0.5-r, 0.5+r, 0.5+r, 0.12)
		outline = frame(0.5-r, 0.5-r, 0.5+r, 0.5+r, 0.12, 0.1)
		haloShape = roundRect(0.5-r-0.07, 0.5-r-0.07, 0.5+r+0.07, 0.5+r+0.07, 0.17)
	}
	var ls []layer
	if halo && st != Error && st != Forbidden {
		ls = append(ls, layer{haloShape, white})
	}
	hands := func(w float64) shape { return union(stroke(0.5, 0.5, 0.5, 0.26, w), stroke(0.5, 0.5, 0.69, 0.5, w)) }
	switch st {
	case Available:
		ls = append(ls, layer{base, paint(green)},
			layer{union(stroke(0.29, 0.52, 0.44, 0.67, 0.13), stroke(0.44, 0.67, 0.71, 0.36, 0.13)), white})
	case Chat:
		ls = append(ls, layer{base, paint(green)},
			layer{union(disc(0.29, 0.5, 0.075), disc(0.5, 0.5, 0.075), disc(0.71, 0.5, 0.075)), white})
	case Away:
		ls = append(ls, layer{base, paint(orange)}, layer{hands(0.12), white})
	case XA:
		if halo {
			ls = append(ls, layer{base, white})
		}
		ls = append(ls, layer{outline, paint(orange)}, layer{hands(0.12), paint(orange)})
	case DND:
		ls = append(ls, layer{base, paint(vermilion)}, layer{stroke(0.28, 0.5, 0.72, 0.5, 0.16), white})
	case Offline:
		if halo {
			ls = append(ls, layer{base, white})
		}
		ls = append(ls, layer{outline, grey},
			layer{union(stroke(0.36, 0.36, 0.64, 0.64, 0.1), stroke(0.36, 0.64, 0.64, 0.36, 0.1)), grey})
	case Forbidden:
		body := roundRect(0.22, 0.46, 0.78, 0.9, 0.07)
		shackle := union(clipAbove(ring(0.5, 0.42, 0.18, 0.1), 0.42), stroke(0.32, 0.42, 0.32, 0.5, 0.1), stroke(0.68, 0.42, 0.68, 0.5, 0.1))
		if halo {
			ls = append(ls, layer{union(roundRect(0.15, 0.39, 0.85, 0.97, 0.1), clipAbove(ring(0.5, 0.42, 0.18, 0.24), 0.42)), white})
		}
		ls = append(ls, layer{union(body, shackle), dark},
			layer{union(disc(0.5, 0.63, 0.06), stroke(0.5, 0.63, 0.5, 0.76, 0.06)), white})
	default: // Error
		ls = append(ls, layer{triangle(0.5, 0.04, 0.97, 0.93, 0.03, 0.93), dark},
			layer{triangle(0.5, 0.17, 0.86, 0.86, 0.14, 0.86), paint(yellow)},
			layer{union(stroke(0.5, 0.38, 0.5, 0.6, 0.1), disc(0.5, 0.74, 0.055)), dark})
	}
	return ls
}

const supersample = 4

func render(ls []layer, size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for py := range size {
		for px := range size {
			// Premultiplied accumulation over the subsamples.
			var r, g, b, a float64
			for sy := range supersample {
				for sx := range supersample {
					x := (float64(px) + (float64(sx)+0.5)/supersample) / float64(size)
					y := (float64(py) + (float64(sy)+0.5)/supersample) / float64(size)
					var cr, cg, cb, ca float64
					for _, l := range ls {
						if l.in(x, y) {
							// Opaque layers: the top one wins.
							cr, cg, cb, ca = float64(l.c.R), float64(l.c.G), float64(l.c.B), 1
						}
					}
					r, g, b, a = r+cr*ca, g+cg*ca, b+cb*ca, a+ca
				}
			}
			if a == 0 {
				continue
			}
			n := float64(supersample * supersample)
			img.SetNRGBA(px, py, color.NRGBA{
				R: uint8(math.Round(r / a)), G: uint8(math.Round(g / a)), B: uint8(math.Round(b / a)),
				A: uint8(math.Round(255 * a / n)),
			})
		}
	}
	return img
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory NRGBA cannot fail
	}
	return buf.Bytes()
}
