package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/spf13/cobra"

	"github.com/parley-im/parley/identity"
)

func (c *cli) idCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "id",
		Short: "Show this node's peer ID, addresses and status",
		Long: `Show this node's peer ID, the addresses it listens on and announces,
its reachability (public, private or unknown, as AutoNAT found out), the
addresses through relays when it is behind a NAT, version, profile and
uptime, and whether it is on the public IPFS network (public rendezvous:
how many Amino DHT servers it knows, when it last announced itself). Give
one of the addresses to a friend: they connect with
parley connect <address>. Without a running daemon it shows the peer ID
from the key file (asking for an encrypted key's passphrase on a terminal,
or taking PARLEY_PASSPHRASE) and says that the daemon is not running.

Example:
  parley id --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if isNoDaemon(err) {
				return c.offlineID()
			}
			if err != nil {
				return err
			}
			info, err := client.Node(cmd.Context())
			if isNoDaemon(err) {
				return c.offlineID()
			}
			if err != nil {
				return err
			}
			return c.output(info, func(w io.Writer) error {
				fmt.Fprintf(w, "peer:         %s\n", info.PeerID)
				fmt.Fprintf(w, "profile:      %s\n", info.Profile)
				fmt.Fprintf(w, "version:      %s\n", info.Version)
				fmt.Fprintf(w, "uptime:       %s\n", (time.Duration(info.UptimeSeconds) * time.Second).String())
				fmt.Fprintf(w, "reachability: %s\n", info.Reachability)
				fmt.Fprintf(w, "public net:   %s\n", publicNetLine(info.PublicNetwork, info.AminoPeers, info.AnnouncedAt))
				for _, a := range info.RelayAddrs {
					fmt.Fprintf(w, "relay:        %s\n", a)
				}
				for _, a := range info.ListenAddrs {
					fmt.Fprintf(w, "listen:       %s\n", a)
				}
				for _, a := range info.Addrs {
					fmt.Fprintf(w, "announce:     %s\n", a)
				}
				return nil
			})
		},
	}
}

// offlineInfo is what id says without a daemon: the key file's peer ID.
type offlineInfo struct {
	PeerID  string `json:"peer_id"`
	Home    string `json:"home"`
	Running bool   `json:"running"`
}

// offlineID prints the peer ID of the home's key and that no daemon runs.
func (c *cli) offlineID() error {
	home, err := c.home()
	if err != nil {
		return err
	}
	pass, err := c.keyPassphrase(home, "")
	if err != nil {
		return err
	}
	if err := home.CheckKeyForDatabase(); err != nil {
		return err // the key is gone but its database stayed: init refuses too
	}
	key, err := identity.Load(home.KeyPath(), pass)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s has no identity yet: create one with parley --home %s init", home.Dir, home.Dir)
	}
	if err != nil {
		return err
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return fmt.Errorf("peer id of %s: %w", home.KeyPath(), err)
	}
	out := offlineInfo{PeerID: id.String(), Home: home.Dir}
	return c.output(out, func(w io.Writer) error {
		fmt.Fprintf(w, "peer:         %s\n", out.PeerID)
		fmt.Fprintf(w, "daemon:       not running; start it with: parley --home %s daemon\n", home.Dir)
		return nil
	})
}

// publicNetLine describes the node's place on the public IPFS network.
func publicNetLine(on bool, peers int, announced *time.Time) string {
	if !on {
		return "off (network.public_rendezvous = false)"
	}
	when := "not announced yet"
	if announced != nil {
		when = "announced " + time.Since(*announced).Round(time.Second).String() + " ago"
	}
	return fmt.Sprintf("on, %d Amino peers, %s", peers, when)
}
