package chat

import (
	"sync"
	"testing"

	"github.com/parley-im/parley/storage"
)

// A refresh that read the group before a change must not overwrite the
// view of a refresh that read it after: the cache ends as storage is.
func TestGroupViewFollowsTheLastChange(t *testing.T) {
	forTransports(t, testGroupViewFollowsTheLastChange)
}

func testGroupViewFollowsTheLastChange(t *testing.T, tr transport) {
	p := newTestPeer(t, tr)
	gid := storedGroup(t, p)
	statuses := []storage.GroupStatus{storage.GroupLeft, storage.GroupActive}
	for i := range 300 {
		want := statuses[i%2]
		var wg sync.WaitGroup
		wg.Go(func() { p.svc.refreshGroup(gid) }) // may read before the change
		wg.Go(func() {
			err := p.store.Update(func(tx *storage.Tx) error {
				g, err := tx.Group(gid)
				if err != nil {
					return err
				}
				g.Status = want
				return tx.PutGroup(g)
			})
			if err != nil {
				t.Error(err)
			}
			p.svc.refreshGroup(gid)
		})
		wg.Wait()
		if v, ok := p.svc.groups.get(gid); !ok || v.status != want {
			t.Fatalf("round %d: cached status %v, stored %s", i, v.status, want)
		}
	}
}

// storedGroup has p create a group of its own and returns its ID.
func storedGroup(t *testing.T, p *testPeer) string {
	t.Helper()
	g, err := p.svc.CreateGroup("solo", nil)
	if err != nil {
		t.Fatal(err)
	}
	return g.GroupID
}
