package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/chat"
)

func (c *cli) profileCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Show your profile: nickname, avatar, presence and publishing state",
		Long: `Show the profile this node publishes in the DHT, where anyone can look it
up by your peer ID (parley whois), and how publishing goes.

Examples:
  parley profile
  parley profile set --nickname Alice --avatar ~/me.jpg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := c.client()
			if err != nil {
				return err
			}
			me, err := client.Profile(cmd.Context())
			if err != nil {
				return err
			}
			return c.output(me, func(w io.Writer) error { return printMe(w, me) })
		},
	}
	cmd.AddCommand(c.profileSetCommand())
	return cmd
}

func (c *cli) profileSetCommand() *cobra.Command {
	var (
		nickname, avatar string
		noAvatar         bool
	)
	cmd := &cobra.Command{
		Use:   "set [--nickname NAME] [--avatar FILE | --no-avatar]",
		Short: "Change your nickname or avatar",
		Long: `Change your nickname (1 to 64 characters) or avatar. The avatar is a PNG,
JPEG, GIF or WebP file of up to 4 MiB; the daemon strips its metadata and
scales it down until it fits the 8 KiB a profile record allows.

Examples:
  parley profile set --nickname Alice
  parley profile set --avatar ~/me.jpg
  parley profile set --no-avatar`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			setNick, setAvatar := cmd.Flags().Changed("nickname"), cmd.Flags().Changed("avatar")
			if !setNick && !setAvatar && !noAvatar {
				return fmt.Errorf("nothing to set: give --nickname, --avatar or --no-avatar")
			}
			if setAvatar && noAvatar {
				return fmt.Errorf("--avatar and --no-avatar exclude each other")
			}
			var img []byte
			if setAvatar {
				var err error
				if img, err = os.ReadFile(avatar); err != nil {
					return fmt.Errorf("avatar: %w", err)
				}
			}
			client, err := c.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var me chat.Me
			if setNick {
				if me, err = client.SetNickname(ctx, nickname); err != nil {
					return err
				}
			}
			switch {
			case setAvatar:
				me, err = client.SetAvatar(ctx, img, http.DetectContentType(img))
			case noAvatar:
				me, err = client.RemoveAvatar(ctx)
			}
			if err != nil {
				return err
			}
			return c.output(me, func(w io.Writer) error { return printMe(w, me) })
		},
	}
	cmd.Flags().StringVar(&nickname, "nickname", "", "your nickname")
	cmd.Flags().StringVar(&avatar, "avatar", "", "an image file to use as your avatar")
	cmd.Flags().BoolVar(&noAvatar, "no-avatar", false, "remove your avatar")
	return cmd
}

func printMe(w io.Writer, me chat.Me) error {
	fmt.Fprintf(w, "peer:      %s\n", me.UserID)
	if me.Nickname == "" {
		fmt.Fprintf(w, "nickname:  - (not published until you set one: parley profile set --nickname NAME)\n")
	} else {
		fmt.Fprintf(w, "nickname:  %s\n", visible(me.Nickname))
	}
	if len(me.Avatar) > 0 {
		fmt.Fprintf(w, "avatar:    %s, %d bytes\n", me.AvatarType, len(me.Avatar))
	} else {
		fmt.Fprintf(w, "avatar:    -\n")
	}
	if !me.UpdatedAt.IsZero() {
		fmt.Fprintf(w, "updated:   %s\n", me.UpdatedAt.Local().Format(time.DateTime))
	}
	printMyPresence(w, me.Presence)
	pub := me.Published
	fmt.Fprintf(w, "published: profile %s, presence %s\n", when(pub.ProfileAt), when(pub.PresenceAt))
	if pub.ProfileError != "" {
		fmt.Fprintf(w, "           profile not published: %s\n", pub.ProfileError)
	}
	if pub.PresenceError != "" {
		fmt.Fprintf(w, "           presence not published: %s\n", pub.PresenceError)
	}
	return nil
}

func printMyPresence(w io.Writer, p chat.MyPresence) {
	fmt.Fprintf(w, "presence:  %s", p.Status)
	if p.Note != "" {
		fmt.Fprintf(w, " (%s)", visible(p.Note))
	}
	if pub := p.Published; pub != nil && pub.Status != p.Status {
		fmt.Fprintf(w, ", others see %s", pub.Status)
	}
	fmt.Fprintln(w)
}

// when formats a time for people: "never" when zero, else local time and
// how long ago.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s (%s ago)", t.Local().Format(time.DateTime), ago(time.Since(t)))
}

// ago rounds a duration for people.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Hour).String()
}
