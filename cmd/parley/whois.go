package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
	"github.com/parley-im/parley/node"
)

func (c *cli) whoisCommand() *cobra.Command {
	var refresh, route bool
	var avatar string
	cmd := &cobra.Command{
		Use:   "whois <peer> [--route] [--avatar FILE]",
		Short: "Look up a user's nickname, avatar and presence",
		Long: `Look a user up by peer ID (or a contact's remark name): profile and
presence come from what their node pushed to yours, from the DHT, or, when
the DHT is slow or unreachable, from the local cache. Each line says where
it came from and how old it is. A user without a presence record is
offline. --route adds how this node reaches the peer: the connection now
(direct or relayed), and whether its addresses were last found in Parley's
DHT or through its announcement on the public IPFS network (with --json the
output is {"user": …, "route": …}). --avatar FILE saves the user's avatar
to a new file.

Examples:
  parley whois 12D3KooW...
  parley whois bob --refresh --json
  parley whois bob --route
  parley whois bob --avatar bob.png`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			v, err := client.Whois(cmd.Context(), args[0], chat.WhoisOptions{Refresh: refresh})
			if err != nil {
				return err
			}
			if avatar != "" {
				if err := saveAvatar(avatar, v); err != nil {
					return err
				}
			}
			if !route {
				return c.output(v, func(w io.Writer) error {
					if err := printUser(w, v); err != nil || avatar == "" {
						return err
					}
					_, err := fmt.Fprintf(w, "saved:     the avatar to %s\n", avatar)
					return err
				})
			}
			rt, err := client.Route(cmd.Context(), v.UserID.String())
			if err != nil {
				return err
			}
			out := struct {
				User  chat.UserView `json:"user"`
				Route node.Route    `json:"route"`
			}{v, rt}
			return c.output(out, func(w io.Writer) error {
				if err := printUser(w, v); err != nil {
					return err
				}
				printRoute(w, rt)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&refresh, "refresh", false, "ask the DHT even when the cache is fresh")
	cmd.Flags().BoolVar(&route, "route", false, "also show how this node reaches the peer and how it found it")
	cmd.Flags().StringVar(&avatar, "avatar", "", "save the user's avatar to this file (refused if it exists)")
	return cmd
}

func printUser(w io.Writer, v chat.UserView) error {
	fmt.Fprintf(w, "peer:      %s\n", v.UserID)
	if p := v.Profile; p != nil {
		fmt.Fprintf(w, "nickname:  %s\n", visible(p.Nickname))
		if len(p.Avatar) > 0 {
			fmt.Fprintf(w, "avatar:    %s, %d bytes\n", p.AvatarType, len(p.Avatar))
		}
		fmt.Fprintf(w, "profile:   seq %d, updated %s; from %s, %s old\n", p.Seq, p.UpdatedAt.Local().Format(time.DateTime), p.Source, ago(time.Duration(p.AgeSeconds*float64(time.Second))))
	} else {
		fmt.Fprintf(w, "profile:   - (none found)\n")
	}
	pr := v.Presence
	fmt.Fprintf(w, "presence:  %s", pr.Status)
	if pr.Note != "" {
		fmt.Fprintf(w, " (%s)", visible(pr.Note))
	}
	switch {
	case pr.Source == "":
		fmt.Fprint(w, "; no record")
	case pr.Expired:
		fmt.Fprintf(w, "; last seen %s; from %s", pr.UpdatedAt.Local().Format(time.DateTime), pr.Source)
	default:
		fmt.Fprintf(w, "; until %s; from %s, %s old", pr.ExpiresAt.Local().Format(time.DateTime), pr.Source, ago(time.Duration(pr.AgeSeconds*float64(time.Second))))
	}
	fmt.Fprintln(w)
	for _, warn := range v.Warnings {
		fmt.Fprintf(w, "warning:   %s\n", visible(warn))
	}
	return nil
}

// printRoute prints how the node reaches a peer.
func printRoute(w io.Writer, r node.Route) {
	if r.Path == "" {
		fmt.Fprintf(w, "route:     not connected\n")
	} else {
		fmt.Fprintf(w, "route:     %s connection %s\n", r.Path, r.Addr)
	}
	switch r.FoundVia {
	case "":
		fmt.Fprintf(w, "found:     never looked up (it connected, came by mDNS or was dialed at a known address)\n")
	case node.FoundViaPublicRendezvous:
		fmt.Fprintf(w, "found:     through its announcement on the public IPFS network, %s ago\n", ago(time.Since(*r.FoundAt)))
	default:
		fmt.Fprintf(w, "found:     in Parley's DHT, %s ago\n", ago(time.Since(*r.FoundAt)))
	}
	for _, a := range r.FoundAddrs {
		fmt.Fprintf(w, "  at:      %s\n", a)
	}
}

// saveAvatar writes the user's avatar to a new file.
func saveAvatar(path string, v chat.UserView) error {
	if v.Profile == nil || len(v.Profile.Avatar) == 0 {
		return fmt.Errorf("%s has no avatar to save", v.UserID)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("save avatar: %w", err)
	}
	if _, err := f.Write(v.Profile.Avatar); err != nil {
		f.Close()
		return fmt.Errorf("save avatar %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save avatar %s: %w", path, err)
	}
	return nil
}
