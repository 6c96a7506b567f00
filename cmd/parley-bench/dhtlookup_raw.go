package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	dht "github.com/libp2p/go-libp2p-kad-dht"
	"github.com/libp2p/go-libp2p/core/host"

	"github.com/parley-im/parley/identity"
)

// rawDHTNet is the baseline: bare go-libp2p hosts with kad-dht in server
// mode and Parley's record validator, nothing else.
type rawDHTNet struct {
	hosts []host.Host
	dhts  []*dht.IpfsDHT
}

func newRawDHTNet(n int) (*rawDHTNet, error) {
	hs, err := newRawHosts(n)
	if err != nil {
		return nil, err
	}
	r := &rawDHTNet{hosts: hs}
	for _, h := range hs {
		d, err := dht.New(h, dht.Mode(dht.ModeServer), dht.ProtocolPrefix(dhtRawPrefix), dht.Validator(identity.NewValidator(nil)))
		if err != nil {
			r.close()
			return nil, fmt.Errorf("raw dht: %w", err)
		}
		r.dhts = append(r.dhts, d)
	}
	return r, nil
}

// publish puts a signed profile and presence of every raw host, as
// Parley nodes do.
func (r *rawDHTNet) publish(ctx context.Context) error {
	for i, h := range r.hosts {
		key := h.Peerstore().PrivKey(h.ID())
		now := time.Now()
		prof, err := identity.SignProfile(key, identity.UserInfo{Nickname: fmt.Sprintf("raw-%02d", i), Seq: 1, UpdatedAt: now})
		if err != nil {
			return err
		}
		pres, err := identity.SignPresence(key, identity.Presence{Status: identity.Online, Seq: 1, UpdatedAt: now, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			return err
		}
		for _, kv := range []struct {
			key string
			val []byte
		}{{identity.ProfileKey(h.ID()), prof}, {identity.PresenceKey(h.ID()), pres}} {
			pctx, cancel := context.WithTimeout(ctx, time.Minute)
			err = r.dhts[i].PutValue(pctx, kv.key, kv.val)
			cancel()
			if err != nil {
				return fmt.Errorf("raw put: %w", err)
			}
		}
	}
	return nil
}

// lookupOnce times host q's GetValue of host t's profile.
func (r *rawDHTNet) lookupOnce(ctx context.Context, q, t int) (float64, error) {
	t0 := time.Now()
	if _, err := r.dhts[q].GetValue(ctx, identity.ProfileKey(r.hosts[t].ID())); err != nil {
		return 0, fmt.Errorf("raw GetValue: %w", err)
	}
	return millis(time.Since(t0)), nil
}

// lookupBoth times host q's GetValue of host t's profile and presence,
// in parallel, as Whois asks for them.
func (r *rawDHTNet) lookupBoth(ctx context.Context, q, t int) (float64, error) {
	id := r.hosts[t].ID()
	t0 := time.Now()
	var wg sync.WaitGroup
	var errP, errQ error
	wg.Go(func() { _, errP = r.dhts[q].GetValue(ctx, identity.ProfileKey(id)) })
	wg.Go(func() { _, errQ = r.dhts[q].GetValue(ctx, identity.PresenceKey(id)) })
	wg.Wait()
	if err := errors.Join(errP, errQ); err != nil {
		return 0, fmt.Errorf("raw GetValue: %w", err)
	}
	return millis(time.Since(t0)), nil
}

func (r *rawDHTNet) close() {
	for _, d := range r.dhts {
		_ = d.Close()
	}
	closeHosts(r.hosts)
}
