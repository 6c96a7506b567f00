package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-im/parley/node/api"
	"github.com/parley-im/parley/node/nodetest"
)

func TestBootstrapAPI(t *testing.T) {
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		n := nodetest.New(t, tr)
		srv := httptest.NewServer(api.NewServer(n, "test-token", nil))
		t.Cleanup(srv.Close)
		client := api.NewClient(strings.TrimPrefix(srv.URL, "http://"), "test-token")
		ctx := context.Background()
		other := nodetest.New(t, tr)

		wantErr := func(what string, err error, status int, code api.Code) {
			t.Helper()
			var apiErr *api.Error
			if !errors.As(err, &apiErr) || apiErr.Status != status || apiErr.Code != code {
				t.Errorf("%s: %v, want HTTP %d code %d", what, err, status, code)
			}
		}
		_, err := client.AddBootstrap(ctx, "/ip4/127.0.0.1/tcp/4001")
		wantErr("address without /p2p/", err, http.StatusBadRequest, api.CodeBadMultiaddr)
		if err == nil || !strings.Contains(err.Error(), "/ip4/127.0.0.1/tcp/4001") {
			t.Errorf("the error does not name the address: %v", err)
		}
		_, err = client.AddBootstrap(ctx)
		wantErr("no address", err, http.StatusBadRequest, api.CodeBadRequest)
		_, err = client.AddBootstrap(ctx, nodetest.Addr(t, tr, n))
		wantErr("this node itself", err, http.StatusBadRequest, api.CodeSelf)
		if peers, err := client.BootstrapPeers(ctx); err != nil || len(peers) != 0 {
			t.Fatalf("after bad adds: %v, %v", peers, err)
		}

		st, err := client.AddBootstrap(ctx, other.Info().ListenAddrs...)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 1 || st[0].PeerID != other.Host().ID().String() {
			t.Fatalf("add: %+v", st)
		}
		peers, err := client.BootstrapPeers(ctx)
		if err != nil || len(peers) != 1 {
			t.Fatalf("list: %+v, %v", peers, err)
		}
		if err := client.RemoveBootstrap(ctx, other.Host().ID().String()); err != nil {
			t.Fatal(err)
		}
		err = client.RemoveBootstrap(ctx, other.Host().ID().String())
		wantErr("remove twice", err, http.StatusNotFound, api.CodeNotFound)
		err = client.RemoveBootstrap(ctx, "not-a-peer")
		wantErr("remove a bad peer id", err, http.StatusBadRequest, api.CodeBadPeerID)
	})
}
