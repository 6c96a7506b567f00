package chat

import (
	"image"
	"image/draw"
)

// scaleDown returns src resized to w×h, which must not be larger than
// src, by averaging the source pixels that each destination pixel covers
// (a box filter: for shrinking it is as good as anything costlier). It
// converts the source a band of rows at a time, so memory stays at one
// band however large the source is, and it averages premultiplied RGBA,
// which keeps transparent edges from darkening.
func scaleDown(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xs := spans(sw, w)
	band := image.NewRGBA(image.Rect(0, 0, sw, sh/h+1))
	sums := make([]uint64, 4*w)
	ys := spans(sh, h)
	for dy := range h {
		y0, y1 := ys[dy], ys[dy+1]
		rows := y1 - y0
		draw.Draw(band, image.Rect(0, 0, sw, rows), src, image.Pt(b.Min.X, b.Min.Y+y0), draw.Src)
		clear(sums)
		for y := range rows {
			row := band.Pix[y*band.Stride : y*band.Stride+4*sw]
			for dx := range w {
				s := sums[4*dx : 4*dx+4]
				for x := xs[dx]; x < xs[dx+1]; x++ {
					px := row[4*x : 4*x+4]
					s[0] += uint64(px[0])
					s[1] += uint64(px[1])
					s[2] += uint64(px[2])
					s[3] += uint64(px[3])
				}
			}
		}
		out := dst.Pix[dy*dst.Stride:]
		for dx := range w {
			n := uint64(rows * (xs[dx+1] - xs[dx]))
			for c := range 4 {
				out[4*dx+c] = uint8((sums[4*dx+c] + n/2) / n)
			}
		}
	}
	return dst
}

// spans splits n source pixels into parts consecutive runs, each at least
// one pixel long (parts ≤ n), and returns the parts+1 boundaries.
func spans(n, parts int) []int {
	b := make([]int, parts+1)
	for i := range b {
		b[i] = i * n / parts
	}
	return b
}

// onWhite returns an opaque copy of img (premultiplied RGBA) as if laid on
// a white background, for encoders without transparency (JPEG).
func onWhite(img *image.RGBA) *image.RGBA {
	out := image.NewRGBA(img.Rect)
	for i := 0; i < len(img.Pix); i += 4 {
		a := img.Pix[i+3]
		out.Pix[i] = img.Pix[i] + (255 - a)
		out.Pix[i+1] = img.Pix[i+1] + (255 - a)
		out.Pix[i+2] = img.Pix[i+2] + (255 - a)
		out.Pix[i+3] = 255
	}
	return out
}
