package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/parley-im/parley/node/nodetest"
)

// GET /v1/groups/{group}/notices tells a group's changes within the
// asked span, by whom; a bad time is refused.
func TestGroupNoticesRoute(t *testing.T) {
	t.Parallel()
	nodetest.Matrix(t, func(t *testing.T, tr nodetest.Transport) {
		a := serve(t, tr)
		ctx := context.Background()
		g, err := a.client.CreateGroup(ctx, "before", nil)
		if err != nil {
			t.Fatal(err)
		}
		if ns, err := a.client.GroupNotices(ctx, g.GroupID, time.Time{}, time.Time{}); err != nil || len(ns) != 0 {
			t.Fatalf("a new group's notices: %v, %v; want none (the creation is no notice)", ns, err)
		}
		if _, err := a.client.RenameGroup(ctx, g.GroupID, "after"); err != nil {
			t.Fatal(err)
		}
		ns, err := a.client.GroupNotices(ctx, g.GroupID, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].Before.Name != "before" || ns[0].After.Name != "after" || ns[0].By != a.node.Info().PeerID {
			t.Fatalf("notices after a rename: %+v", ns)
		}
		if ns, err := a.client.GroupNotices(ctx, g.GroupID, time.Time{}, ns[0].At.Add(-time.Nanosecond)); err != nil || len(ns) != 0 {
			t.Fatalf("notices before the rename: %v, %v; want none", ns, err)
		}
		if ns, err := a.client.GroupNotices(ctx, g.GroupID, ns[0].At, time.Time{}); err != nil || len(ns) != 1 {
			t.Fatalf("notices from the rename on: %v, %v; want the rename", ns, err)
		}
		resp, err := a.http.Do(a.request(t, http.MethodGet, "/v1/groups/"+g.GroupID+"/notices?from=yesterday", ""))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a bad from: status %d, want 400", resp.StatusCode)
		}
	})
}
