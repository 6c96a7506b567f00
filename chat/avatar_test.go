package chat

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"

	"github.com/parley-im/parley/identity"
)

// noisy makes a w×h image that compresses badly, like a photo.
func noisy(w, h int, alpha bool) *image.NRGBA {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
		if i%4 == 3 && !alpha {
			img.Pix[i] = 255
		}
	}
	return img
}

func encodePNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPrepareAvatarShrinksToFit(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, noisy(600, 450, false), &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	var anim bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 300, 300), []color.Color{color.White, color.Black})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 7 % 2)
	}
	if err := gif.Encode(&anim, pal, nil); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"png with alpha": encodePNG(t, noisy(500, 400, true)),
		"jpeg photo":     jpg.Bytes(),
		"gif":            anim.Bytes(),
		"tiny png":       encodePNG(t, noisy(8, 8, false)),
	} {
		out, typ, err := PrepareAvatar(data, "application/octet-stream")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(out) > identity.MaxAvatarSize {
			t.Errorf("%s: %d bytes, over %d", name, len(out), identity.MaxAvatarSize)
		}
		if err := identity.ValidateAvatar(out, typ); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
		if err != nil || cfg.Width > avatarSide || cfg.Height > avatarSide {
			t.Errorf("%s: result %dx%d (%v)", name, cfg.Width, cfg.Height, err)
		}
	}
}

// Re-encoding drops metadata such as a photo's EXIF block.
func TestPrepareAvatarStripsMetadata(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, noisy(64, 64, false), nil); err != nil {
		t.Fatal(err)
	}
	secret := []byte("Exif\x00\x00GPS 52.52N 13.40E")
	app1 := append([]byte{0xFF, 0xE1, 0, byte(len(secret) + 2)}, secret...)
	withExif := append(append(append([]byte{}, jpg.Bytes()[:2]...), app1...), jpg.Bytes()[2:]...)
	out, _, err := PrepareAvatar(withExif, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("GPS")) {
		t.Fatal("the avatar kept the EXIF block")
	}
}

func TestPrepareAvatarRefusesNonImages(t *testing.T) {
	small := encodePNG(t, noisy(4, 4, false))
	// A PNG whose header claims 40000×40000 pixels: refused before decoding.
	bomb := bytes.Clone(small)
	binary.BigEndian.PutUint32(bomb[16:], 40000)
	binary.BigEndian.PutUint32(bomb[20:], 40000)
	binary.BigEndian.PutUint32(bomb[29:], crc32.ChecksumIEEE(bomb[12:29]))
	truncated := small[:len(small)/2]
	for name, tc := range map[string]struct {
		data []byte
		ct   string
	}{
		"text":           {[]byte("hello, I am not an image"), "image/png"},
		"empty":          {nil, "image/png"},
		"html":           {[]byte("<html><script>alert(1)</script></html>"), ""},
		"svg":            {[]byte(`<svg xmlns="http://www.w3.org/2000/svg"></svg>`), "image/svg+xml"},
		"declared text":  {small, "text/plain"},
		"truncated png":  {truncated, "image/png"},
		"pixel bomb":     {bomb, "image/png"},
		"bad media type": {small, "image/png; ==="},
	} {
		if _, _, err := PrepareAvatar(tc.data, tc.ct); !errors.Is(err, identity.ErrInvalidAvatar) {
			t.Errorf("%s: err = %v, want ErrInvalidAvatar", name, err)
		}
	}
}

// scaleDown averages premultiplied pixels: a transparent pixel adds no
// color, and a half-black, half-white block turns mid-grey.
func TestScaleDownAverages(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for x := range 4 {
		for y := range 2 {
			c := color.NRGBA{A: 255}
			if x%2 == 1 {
				c = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
			}
			if x >= 2 {
				c = color.NRGBA{R: 255, A: 255}
				if x == 3 {
					c = color.NRGBA{G: 255, A: 0} // invisible green
				}
			}
			src.SetNRGBA(x, y, c)
		}
	}
	dst := scaleDown(src, 2, 1)
	if got := dst.RGBAAt(0, 0); got != (color.RGBA{R: 128, G: 128, B: 128, A: 255}) {
		t.Errorf("black and white average to %v", got)
	}
	if got := dst.RGBAAt(1, 0); got != (color.RGBA{R: 128, A: 128}) {
		t.Errorf("red and transparent green average to %v, want half-transparent red", got)
	}
}
