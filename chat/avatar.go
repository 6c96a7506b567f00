package chat

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // GIF decoder for image.Decode
	"image/jpeg"
	"image/png"
	"mime"
	"net/http"
	"strings"

	"github.com/parley-im/parley/identity"
)

const (
	// MaxAvatarUpload caps an uploaded avatar image before processing.
	MaxAvatarUpload = 4 << 20
	// maxAvatarPixels caps the decoded size of an upload (16.7 megapixels,
	// 64 MiB as RGBA), so that a small, highly compressed file cannot make
	// the node allocate gigabytes.
	maxAvatarPixels = 1 << 24
	// avatarSide is the longest side of an avatar before any shrinking to
	// fit identity.MaxAvatarSize.
	avatarSide = 256
	// minAvatarSide is where shrinking gives up.
	minAvatarSide = 16
)

// PrepareAvatar turns an uploaded image into an avatar that fits the
// profile record: the content must be PNG, JPEG, GIF or WebP whatever
// contentType claims (contentType must only not name a non-image type).
// PNG, JPEG and GIF are decoded and re-encoded, which strips metadata such
// as a photo's location, scaled to at most 256 pixels a side, and shrunk
// further until they fit identity.MaxAvatarSize; a GIF keeps its first
// frame. WebP, which the standard library cannot decode, is kept as it is
// when it fits. Errors wrap identity.ErrInvalidAvatar and say why.
func PrepareAvatar(data []byte, contentType string) ([]byte, string, error) {
	if len(data) == 0 {
		return nil, "", fmt.Errorf("%w: the upload is empty", identity.ErrInvalidAvatar)
	}
	if len(data) > MaxAvatarUpload {
		return nil, "", fmt.Errorf("%w: %d bytes, the upload limit is %d", ErrTooLarge, len(data), MaxAvatarUpload)
	}
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || (!strings.HasPrefix(mt, "image/") && mt != "application/octet-stream") {
			return nil, "", fmt.Errorf("%w: Content-Type %q is not an image type", identity.ErrInvalidAvatar, contentType)
		}
	}
	sniffed := http.DetectContentType(data)
	switch sniffed {
	case "image/png", "image/jpeg", "image/gif":
	case "image/webp":
		if len(data) > identity.MaxAvatarSize {
			return nil, "", fmt.Errorf("%w: a WebP avatar must be at most %d bytes as it is; upload PNG, JPEG or GIF to have it downscaled", identity.ErrInvalidAvatar, identity.MaxAvatarSize)
		}
		if err := identity.ValidateAvatar(data, sniffed); err != nil {
			return nil, "", err
		}
		return data, sniffed, nil
	default:
		return nil, "", fmt.Errorf("%w: the content is not an image (it looks like %s); upload PNG, JPEG, GIF or WebP", identity.ErrInvalidAvatar, sniffed)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s does not decode: %v", identity.ErrInvalidAvatar, sniffed, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxAvatarPixels {
		return nil, "", fmt.Errorf("%w: %d×%d pixels; the limit is %d megapixels", identity.ErrInvalidAvatar, cfg.Width, cfg.Height, maxAvatarPixels>>20)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fmt.Errorf("%w: %s does not decode: %v", identity.ErrInvalidAvatar, sniffed, err)
	}
	out, typ, err := encodeAvatar(img, sniffed == "image/jpeg")
	if err != nil {
		return nil, "", err
	}
	if err := identity.ValidateAvatar(out, typ); err != nil {
		return nil, "", err
	}
	return out, typ, nil
}

// encodeAvatar scales img to fit avatarSide and encodes it, shrinking it
// by a quarter at a time until one encoding fits identity.MaxAvatarSize:
// PNG first unless the source is a photo, then JPEG at falling qualities.
func encodeAvatar(img image.Image, photo bool) ([]byte, string, error) {
	w, h := fitSide(img.Bounds().Dx(), img.Bounds().Dy(), avatarSide)
	for first := true; first || max(w, h) >= minAvatarSide; first = false {
		small := scaleDown(img, w, h)
		if !photo {
			var buf bytes.Buffer
			enc := png.Encoder{CompressionLevel: png.BestCompression}
			if err := enc.Encode(&buf, small); err != nil {
				return nil, "", fmt.Errorf("encode avatar: %w", err)
			}
			if buf.Len() <= identity.MaxAvatarSize {
				return buf.Bytes(), "image/png", nil
			}
		}
		flat := onWhite(small)
		for _, q := range []int{85, 70, 50} {
			var buf bytes.Buffer
			if err := jpeg.Encode(&buf, flat, &jpeg.Options{Quality: q}); err != nil {
				return nil, "", fmt.Errorf("encode avatar: %w", err)
			}
			if buf.Len() <= identity.MaxAvatarSize {
				return buf.Bytes(), "image/jpeg", nil
			}
		}
		w, h = max(w*3/4, 1), max(h*3/4, 1)
	}
	return nil, "", fmt.Errorf("%w: the image does not compress to %d bytes", identity.ErrInvalidAvatar, identity.MaxAvatarSize)
}

// fitSide returns w×h scaled down, keeping the aspect ratio, so that the
// longer side is at most side.
func fitSide(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, h*side/w)
	}
	return max(1, w*side/h), side
}
