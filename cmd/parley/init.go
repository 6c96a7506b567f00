package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/parley-im/parley/node"
)

func (c *cli) initCommand() *cobra.Command {
	var profile, nickname, passphraseFile string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a home: config, identity key and API token",
		Long: `Create the node's home: config.toml for the profile, a new identity key
(encrypted when PARLEY_PASSPHRASE or --passphrase-file gives a passphrase)
and the API token. An existing config or key is kept, never replaced: on
an initialized home, a --profile that differs from the home's is an error
that says what was kept. A home whose database outlived its identity.key
is refused, since a new key would take over the old contacts and history.

Examples:
  parley init
  parley --home /tmp/alice init --profile local --nickname alice`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			home, err := c.home()
			if err != nil {
				return err
			}
			passphrase, err := readPassphrase(passphraseFile)
			if err != nil {
				return err
			}
			res, err := node.Init(home, profile, passphrase)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("profile") && res.Profile != profile {
				return fmt.Errorf("%s was already initialized with profile %q; kept it and its config and key (--profile only applies to a new home; edit %s to change it)", res.Home, res.Profile, home.ConfigPath())
			}
			if nickname != "" {
				if err := node.SetInitialNickname(home, nickname); err != nil {
					return err
				}
			}
			return c.output(res, func(w io.Writer) error {
				if !res.CreatedConfig && !res.CreatedKey {
					fmt.Fprintf(w, "%s was already initialized\n", res.Home)
				} else {
					fmt.Fprintf(w, "initialized %s\n", res.Home)
				}
				fmt.Fprintf(w, "peer: %s\nprofile: %s\nstart it with: parley --home %s daemon\n", res.PeerID, res.Profile, res.Home)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&profile, "profile", node.ProfileDefault, "default, server or local")
	cmd.Flags().StringVar(&nickname, "nickname", "", "your display name")
	cmd.Flags().StringVar(&passphraseFile, "passphrase-file", "", "file holding a passphrase to encrypt the identity key")
	return cmd
}
