package api_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/identity"
	"github.com/parley-im/parley/node"
	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

// newAPI serves the API of a fresh local node and returns its client. The
// node talks to no peer, so one transport (QUIC, the daemons' first) is
// enough.
func newAPI(t *testing.T) (*api.Client, *node.Node, string) {
	t.Helper()
	n := nodetest.New(t, nodetest.QUIC)
	srv := httptest.NewServer(api.NewServer(n, "test-token", nil))
	t.Cleanup(srv.Close)
	addr := strings.TrimPrefix(srv.URL, "http://")
	return api.NewClient(addr, "test-token"), n, srv.URL
}

// wantAPIError checks that err is an API error with status and code.
func wantAPIError(t *testing.T, what string, err error, status int, code api.Code) {
	t.Helper()
	var apiErr *api.Error
	if !errors.As(err, &apiErr) {
		t.Errorf("%s: err = %v, want HTTP %d code %d", what, err, status, code)
		return
	}
	if apiErr.Status != status || apiErr.Code != code || apiErr.Message == "" {
		t.Errorf("%s: HTTP %d code %d %q, want HTTP %d code %d with a message", what, apiErr.Status, apiErr.Code, apiErr.Message, status, code)
	}
}

func TestProfileAPIRefusesBadInput(t *testing.T) {
	client, _, base := newAPI(t)
	ctx := context.Background()

	for _, nick := range []string{"", strings.Repeat("n", 65), "tab\there", "zero\x00", " padded "} {
		_, err := client.SetNickname(ctx, nick)
		wantAPIError(t, "nickname "+strings.ReplaceAll(nick, "\x00", `\0`), err, http.StatusBadRequest, api.CodeBadNickname)
	}
	for _, body := range []string{`{}`, `{"nickname": "a", "extra": 1}`, `not json`} {
		req, _ := http.NewRequest(http.MethodPut, base+"/v1/profile", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer test-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("PUT /v1/profile %s: HTTP %d, want 400", body, resp.StatusCode)
		}
	}

	_, err := client.SetAvatar(ctx, []byte("just some text, not a picture"), "image/png")
	wantAPIError(t, "avatar of text", err, http.StatusBadRequest, api.CodeBadAvatar)
	_, err = client.SetAvatar(ctx, bytes.Repeat([]byte{0x89}, chat.MaxAvatarUpload+1), "image/png")
	wantAPIError(t, "avatar over 4 MiB", err, http.StatusRequestEntityTooLarge, api.CodeTooLarge)

	_, err = client.SetPresence(ctx, "sleeping", "")
	wantAPIError(t, "status sleeping", err, http.StatusBadRequest, api.CodeBadRequest)
	_, err = client.SetPresence(ctx, "", "")
	wantAPIError(t, "no status", err, http.StatusBadRequest, api.CodeBadRequest)
	_, err = client.SetPresence(ctx, "away", "bell\a")
	wantAPIError(t, "note with a control character", err, http.StatusBadRequest, api.CodeBadRequest)

	_, err = client.Whois(ctx, "not-a-peer-id", chat.WhoisOptions{})
	wantAPIError(t, "whois of a bad peer", err, http.StatusBadRequest, api.CodeBadPeerID)

	// Nothing of the above was half-written.
	me, err := client.Profile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.Nickname != "" || len(me.Avatar) != 0 || me.Presence.Status != identity.Online || me.Presence.Note != "" {
		t.Fatalf("profile after refused requests = %+v", me)
	}
}

func TestProfileAPI(t *testing.T) {
	client, n, _ := newAPI(t)
	ctx := context.Background()

	me, err := client.SetNickname(ctx, "Alice")
	if err != nil || me.Nickname != "Alice" || me.UserID != n.Host().ID() {
		t.Fatalf("SetNickname = %+v, %v", me, err)
	}
	var img bytes.Buffer
	big := image.NewNRGBA(image.Rect(0, 0, 600, 400))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 7 % 251)
	}
	if err := png.Encode(&img, big); err != nil {
		t.Fatal(err)
	}
	me, err = client.SetAvatar(ctx, img.Bytes(), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	if len(me.Avatar) == 0 || len(me.Avatar) > identity.MaxAvatarSize || identity.ValidateAvatar(me.Avatar, me.AvatarType) != nil {
		t.Fatalf("avatar of %d bytes, type %q", len(me.Avatar), me.AvatarType)
	}
	if me, err = client.RemoveAvatar(ctx); err != nil || len(me.Avatar) != 0 || me.AvatarType != "" {
		t.Fatalf("RemoveAvatar = %d bytes %q, %v", len(me.Avatar), me.AvatarType, err)
	}

	p, err := client.SetPresence(ctx, "busy", "in a meeting")
	if err != nil || p.Status != identity.Busy || p.Note != "in a meeting" {
		t.Fatalf("SetPresence = %+v, %v", p, err)
	}
	v, err := client.Whois(ctx, n.Host().ID().String(), chat.WhoisOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if v.Profile == nil || v.Profile.Nickname != "Alice" || v.Profile.Source != chat.SourceLocal || v.Presence.Status != identity.Busy {
		t.Fatalf("whois self = profile %+v, presence %+v", v.Profile, v.Presence)
	}
	views, err := client.ContactViews(ctx, "")
	if err != nil || len(views) != 0 {
		t.Fatalf("contact views = %v, %v", views, err)
	}
}
