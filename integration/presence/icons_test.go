package presence

import (
	"bytes"
	"image/png"
	"testing"
)

func TestIcons(t *testing.T) {
	total := 0
	for set := 0; set <= MaxIconSet; set++ {
		seen := make(map[string]State)
		for _, st := range States {
			for _, size := range []int{Small, Large} {
				b := Icon(set, st, size)
				total += len(b)
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("set %d %s %d: %v", set, st, size, err)
				}
				if r := img.Bounds(); r.Dx() != size || r.Dy() != size {
					t.Fatalf("set %d %s: %v, want %dx%d", set, st, r, size, size)
				}
				// Transparent corners (an icon, not a tile), and ink on
				// at least a sixth of it (something is drawn).
				if _, _, _, a := img.At(0, 0).RGBA(); a != 0 && st != Error {
					t.Errorf("set %d %s %d: opaque corner", set, st, size)
				}
				ink := 0
				for y := range size {
					for x := range size {
						if _, _, _, a := img.At(x, y).RGBA(); a >= 0x8000 {
							ink++
						}
					}
				}
				if ink < size*size/6 {
					t.Errorf("set %d %s %d: only %d inked pixels", set, st, size, ink)
				}
				if len(b) > 1500 {
					t.Errorf("set %d %s %d: %d bytes", set, st, size, len(b))
				}
				if other, dup := seen[string(b)]; dup {
					t.Errorf("set %d: %s and %s look the same", set, st, other)
				}
				seen[string(b)] = st
			}
		}
		if set > 0 && bytes.Equal(Icon(set, Available, Small), Icon(0, Available, Small)) {
			t.Errorf("set %d is the default set", set)
		}
	}
	t.Logf("%d icons, %d bytes", (MaxIconSet+1)*len(States)*2, total)
	if !bytes.Equal(Icon(9, Away, Small), Icon(0, Away, Small)) || !bytes.Equal(Icon(0, Away, 20), Icon(0, Away, Small)) || !bytes.Equal(Icon(0, "bogus", Small), Icon(0, Error, Small)) {
		t.Error("fallbacks")
	}
}

// TestIconShapes checks that states differ by shape, not only by
// colour: the monochrome sets (2, 3) must tell them apart by where ink
// is, in luminance alone.
func TestIconShapes(t *testing.T) {
	for _, set := range []int{0, 2} {
		masks := make(map[string]State)
		for _, st := range States {
			img, _ := png.Decode(bytes.NewReader(Icon(set, st, Large)))
			var mask []byte
			for y := 0; y < Large; y++ {
				for x := 0; x < Large; x++ {
					r, g, b, a := img.At(x, y).RGBA()
					lum := (299*r + 587*g + 114*b) / 1000
					bit := byte('.')
					switch {
					case a < 0x8000:
					case lum > 0xC000:
						bit = 'w' // light ink
					default:
						bit = 'k' // dark ink
					}
					mask = append(mask, bit)
				}
			}
			if other, dup := masks[string(mask)]; dup {
				t.Errorf("set %d: %s and %s have the same shape", set, st, other)
			}
			masks[string(mask)] = st
		}
	}
}
